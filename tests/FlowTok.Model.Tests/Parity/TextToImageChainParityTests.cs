using FlowTok.Model.Pipelines;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Parity;

/// <summary>The whole text-to-image chain, from CLIP ids and the reference noise, reproduces the reference images.</summary>
public sealed class TextToImageChainParityTests
{
    private static readonly ParitySet Set = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ChainReproducesReferenceSampleFromIdsAndNoise(bool batchedGuidance)
    {
        using var scope = torch.NewDisposeScope();
        using var pipeline = new TextToImagePipeline(
            ClipTokenizer.FromOpenAiMergesGz(ReferenceFixtures.ClipMerges),
            Set.Clip("clip_text.openai.safetensors"), Set.TextVae("flowtok.pth"), Set.Flow("flowtok.safetensors"),
            Set.Tokenizer("flowtitok.bin"));
        var eps = Set.Cases["sample.eps"];
        var ids = Set.Cases["clip.ids"][..(int)eps.shape[0]];

        using var encoding = pipeline.EncodeIds(ids);
        var zText = TextToImagePipeline.PrepareLatents(encoding, eps);
        ParitySet.AssertClose(Set.Cases["sample.z_text"], zText, "sample.z_text");

        var options = new GenerationOptions { Steps = Set.Steps, GuidanceScale = Set.Guidance, BatchedGuidance = batchedGuidance };
        var steps = new List<int>();
        var zImage = pipeline.Sample(zText, options, new SyncProgress(p => steps.Add(p.Step)));
        ParitySet.AssertClose(Set.Cases["sample.z_image"], zImage, "sample.z_image");
        Assert.Equal(Enumerable.Range(1, Set.Steps), steps);

        // The reference decodes without clamping; compare before the pipeline's clamp to [0, 1].
        using var noGrad = torch.no_grad();
        var image = Set.Tokenizer("flowtitok.safetensors").DecodeFlowTokens(zImage, encoding.ClipStates);
        ParitySet.AssertClose(Set.Cases["sample.image"], image, "sample.image");
        ParitySet.AssertClose(Set.Cases["sample.image"].clamp(0.0, 1.0), pipeline.Decode(zImage, encoding.ClipStates), "clamped sample.image");
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<Sampling.SamplingProgress> report) : IProgress<Sampling.SamplingProgress>
    {
        public void Report(Sampling.SamplingProgress value) => report(value);
    }
}
