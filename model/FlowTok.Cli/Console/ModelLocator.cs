namespace FlowTok.Cli.ConsoleUi;

/// <summary>
/// Which model directory a command uses: <c>--model</c>, else <c>$FLOWTOK_MODEL</c>, else the bundled
/// <c>models/default</c> found above the application or the current directory (a repo checkout or an install).
/// </summary>
internal static class ModelLocator
{
    public const string EnvironmentVariable = "FLOWTOK_MODEL";
    private static readonly string DefaultRelative = Path.Combine("models", "default");

    public static string Resolve(string? explicitDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;

        string[] starts = [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];
        foreach (var start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultRelative);
                if (File.Exists(Path.Combine(candidate, FlowTok.Model.Loading.ModelIndex.FileName))) return candidate;
            }
        throw new CliException($"no model: pass --model <dir> or set {EnvironmentVariable} (no {Path.Combine(DefaultRelative, FlowTok.Model.Loading.ModelIndex.FileName)} above {starts[0]} or {starts[1]})");
    }
}
