namespace FlowTok.Cluster.Tests.Processes;

/// <summary>
/// The output lines of a child process: the last few kept in memory for assertion messages, all of them appended to a
/// log file next to the process's other files.
/// </summary>
public sealed class ProcessLog : IDisposable
{
    const int KeptLines = 2000;

    readonly Queue<string> recent = new();
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
        }
    }

    /// <summary>The last <paramref name="lines"/> lines, one per line.</summary>
    public string Tail(int lines)
    {
        lock (recent) return string.Join('\n', recent.Skip(Math.Max(0, recent.Count - lines)));
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
