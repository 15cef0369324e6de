namespace FlowTok.Cluster.Tests.Processes;

/// <summary>
/// The output lines of a child process: the last few kept in memory for assertion messages, all of them appended to a
/// log file next to the process's other files. Error reports (a logger's <c>fail:</c> and <c>crit:</c> entries, an unhandled
/// exception) are also kept apart with the lines that follow them, so an assertion message still names the exception when
/// a long stack trace or later output has pushed it out of the tail.
/// </summary>
public sealed class ProcessLog : IDisposable
{
    const int KeptLines = 2000;
    const int KeptErrorLines = 80;
    /// <summary>Lines kept after an error report's first line: its message and the exception's type and first frames.</summary>
    const int ErrorContextLines = 6;

    readonly Queue<string> recent = new();
    readonly Queue<string> errors = new();
    int errorContextLeft;
    readonly StreamWriter file;
    bool disposed;

    public ProcessLog(string path)
    {
        Path = path;
        file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    public void Add(string? line)
    {
        if (line is null) return;
        lock (recent)
        {
            // Output can still arrive from a killed process's pipes after the harness is done with it.
            if (disposed) return;
            recent.Enqueue(line);
            if (recent.Count > KeptLines) recent.Dequeue();
            file.WriteLine(line);
            if (IsErrorReport(line)) errorContextLeft = ErrorContextLines + 1;
            if (errorContextLeft > 0)
            {
                errorContextLeft--;
                errors.Enqueue(line);
                if (errors.Count > KeptErrorLines) errors.Dequeue();
            }
        }
    }

    static bool IsErrorReport(string line) =>
        line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)
        || line.StartsWith("Unhandled exception", StringComparison.Ordinal);

    /// <summary>The error reports seen so far (the last few), each with the lines that followed it.</summary>
    public string Errors()
    {
        lock (recent) return string.Join('\n', errors);
    }

    /// <summary>The last <paramref name="lines"/> lines, one per line.</summary>
    public string Tail(int lines)
    {
        lock (recent) return string.Join('\n', recent.Skip(Math.Max(0, recent.Count - lines)));
    }

    /// <summary>The kept lines that contain <paramref name="fragment"/> (a logger's category, say), each with the line after
    /// it (the entry's message), so that a component's story survives the stack traces that fill the tail.</summary>
    public string Matching(string fragment)
    {
        lock (recent)
        {
            var lines = recent.ToArray();
            var picked = new List<string>();
            for (int i = 0; i < lines.Length; i++)
                if (lines[i].Contains(fragment, StringComparison.Ordinal))
                {
                    picked.Add(lines[i]);
                    if (i + 1 < lines.Length) picked.Add(lines[++i]);
                }
            return string.Join('\n', picked);
        }
    }

    public void Dispose()
    {
        lock (recent)
        {
            disposed = true;
            file.Dispose();
        }
    }
}
