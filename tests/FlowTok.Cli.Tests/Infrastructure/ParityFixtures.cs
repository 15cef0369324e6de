namespace FlowTok.Cli.Tests.Infrastructure;

/// <summary>The reference parity fixtures: $FLOWTOK_PARITY_DIR, else &lt;repo&gt;/../shared/parity.</summary>
internal static class ParityFixtures
{
    public static string Root { get; } = Locate();

    public static string PathOf(string fileName)
    {
        var path = Path.Combine(Root, fileName);
        Assert.True(File.Exists(path), $"parity fixture missing: {path} (set FLOWTOK_PARITY_DIR)");
        return path;
    }

    /// <summary>OpenAI CLIP's BPE merges, shared beside the fixtures.</summary>
    public static string ClipMerges
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(Root, "..", "clip", "bpe_simple_vocab_16e6.txt.gz"));
            Assert.True(File.Exists(path), $"CLIP merges file missing: {path}");
            return path;
        }
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("FLOWTOK_PARITY_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
            return Path.GetFullPath(configured);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FlowTok.Platform.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "parity"));
        throw new InvalidOperationException($"FlowTok.Platform.sln not found above {AppContext.BaseDirectory}; set FLOWTOK_PARITY_DIR");
    }
}
