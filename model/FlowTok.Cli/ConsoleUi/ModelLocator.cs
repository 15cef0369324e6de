using FlowTok.Model.Loading;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>
/// Which model directory a command uses: <c>--model</c>, else <c>$FLOWTOK_MODEL</c>, else the bundled
/// <c>models/default</c> found above the application or the current directory (a repo checkout or an install).
/// </summary>
internal static class ModelLocator
{
    public const string EnvironmentVariable = "FLOWTOK_MODEL";

    public static string Resolve(string? explicitDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;

        var starts = ModelSearch.DefaultStarts();
        return ModelSearch.FindAbove(ModelSearch.DefaultRelative, starts)
            ?? throw new CliException($"no model: pass --model <dir> or set {EnvironmentVariable} (no {Path.Combine(ModelSearch.DefaultRelative, ModelIndex.FileName)} above {starts[0]} or {starts[1]})");
    }
}
