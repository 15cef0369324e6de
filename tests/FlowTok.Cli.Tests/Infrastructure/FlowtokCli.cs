namespace FlowTok.Cli.Tests.Infrastructure;

/// <summary>What one in-process <c>flowtok</c> invocation printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Lines(Stdout);
    public string[] StderrLines => Lines(Stderr);
    public string[] ErrorLines => StderrLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();

    /// <summary>The single <c>error:</c> line, asserting there is exactly one and no stack trace.</summary>
    public string SingleError()
    {
        Assert.True(ErrorLines.Length == 1, $"expected one error line, got stderr:\n{Stderr}");
        Assert.DoesNotContain(StderrLines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        return ErrorLines[0];
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs the CLI in-process through <see cref="Program.RunAsync"/>, the same path as the executable.</summary>
internal static class FlowtokCli
{
    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, CancellationToken.None, null);

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken, TextWriter? stderr)
    {
        using var stdout = new StringWriter();
        var captured = stderr ?? new StringWriter();
        int code = await Program.RunAsync(args, stdout, captured, cancellationToken);
        return new CliResult(code, stdout.ToString(), captured.ToString() ?? "");
    }
}
