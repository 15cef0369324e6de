namespace FlowTok.Model.Tests.Parity;

/// <summary>Files shared with the project beside the repository (../shared): CLIP's BPE merges.</summary>
internal static class SharedFiles
{
    public static string ClipMerges
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("FLOWTOK_CLIP_BPE");
            var path = !string.IsNullOrWhiteSpace(configured)
                ? configured
                : Path.Combine(Checkpoints.ParityFixtures.Root, "..", "clip", "bpe_simple_vocab_16e6.txt.gz");
            Assert.True(File.Exists(path), $"CLIP merges file missing: {path} (set FLOWTOK_CLIP_BPE)");
            return Path.GetFullPath(path);
        }
    }
}
