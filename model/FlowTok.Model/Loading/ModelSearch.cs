namespace FlowTok.Model.Loading;

/// <summary>Finds a model directory given relative to an application: in or above the application or current directory.</summary>
public static class ModelSearch
{
    public static readonly string DefaultRelative = Path.Combine("models", "default");

    /// <summary>The first <c>start/.../relative</c> holding a model_index.json, walking up from each start; null if none.</summary>
    public static string? FindAbove(string relative, params string[] starts)
    {
        foreach (var start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(Path.Combine(candidate, ModelIndex.FileName))) return candidate;
            }
        return null;
    }

    /// <summary>Starts to search from: the application's folder, then the current directory.</summary>
    public static string[] DefaultStarts() => [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];
}
