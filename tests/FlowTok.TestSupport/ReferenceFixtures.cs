namespace FlowTok.TestSupport;

/// <summary>
/// The reference fixtures shared beside the repository: <c>$FLOWTOK_PARITY_DIR</c>, else <c>&lt;repo&gt;/../shared/parity</c>,
/// and CLIP's BPE merges (<c>$FLOWTOK_CLIP_BPE</c>, else <c>../clip/</c> beside the parity folder).
/// </summary>
public static class ReferenceFixtures
{
    public static string Root { get; } = Locate();

    public static string PathOf(string fileName)
    {
        var path = Path.Combine(Root, fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"parity fixture missing: {path} (set FLOWTOK_PARITY_DIR)", path);
    }

    public static string ClipMerges
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("FLOWTOK_CLIP_BPE");
            var path = Path.GetFullPath(!string.IsNullOrWhiteSpace(configured)
                ? configured
                : Path.Combine(Root, "..", "clip", "bpe_simple_vocab_16e6.txt.gz"));
            return File.Exists(path) ? path : throw new FileNotFoundException($"CLIP merges file missing: {path} (set FLOWTOK_CLIP_BPE)", path);
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
