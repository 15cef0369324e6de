using FlowTok.Model.Pipelines;
using FlowTok.Model.Tests.Checkpoints;
using FlowTok.Model.Tests.Parity;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Pipelines;

public sealed class TextToImagePipelineTests : IDisposable
{
    private static readonly ParitySet Set = new();
    private readonly TempDirectory temp = new();
    private readonly TextToImagePipeline pipeline;
    private readonly GenerationOptions options;

    public TextToImagePipelineTests()
    {
        var dir = Set.WriteModelDirectory(temp.Path);
        pipeline = dir.LoadTextToImage();
        options = new GenerationOptions { Steps = dir.Index.Defaults.Steps, GuidanceScale = dir.Index.Defaults.GuidanceScale };
    }

    [Fact]
    public void SameSeedGivesTheSameImageAndOtherSeedsDiffer()
    {
        using var scope = torch.NewDisposeScope();
        string[] prompts = ["a red circle", "a red circle", "a red circle"];
        var images = pipeline.Generate(prompts, [11, 11, 12], options);
        var again = pipeline.Generate(prompts, [11, 11, 12], options);
        Assert.True(images.equal(again).all().item<bool>(), "the same request must give bit-identical images");
        ParitySet.AssertClose(images[0], images[1], "same seed in one batch", 1e-5);
        Assert.False(images[0].allclose(images[2]), "another seed must give another image");
        Assert.Equal(new long[] { 3, 3, pipeline.ImageSize, pipeline.ImageSize }, images.shape);
        Assert.True(images.min().item<float>() >= 0 && images.max().item<float>() <= 1);
    }

    [Fact]
    public void AnImageDoesNotDependOnWhatElseIsInItsBatch()
    {
        using var scope = torch.NewDisposeScope();
        var alone = pipeline.Generate(["two cats"], [5], options);
        var batched = pipeline.Generate(["a blue square", "two cats", "a dog"], [1, 5, 9], options);
        ParitySet.AssertClose(alone[0], batched[1], "image of seed 5 alone vs in a batch", 1e-4);
    }

    [Theory]
    [InlineData("", 4, 2.0, "empty")]
    [InlineData("   ", 4, 2.0, "empty")]
    [InlineData("ok", 0, 2.0, "steps")]
    [InlineData("ok", 4, -1.0, "guidance")]
    [InlineData("ok", 4, double.NaN, "guidance")]
    public void BadInputIsRejectedBeforeAnyWork(string prompt, int steps, double guidance, string mentioned)
    {
        var bad = new GenerationOptions { Steps = steps, GuidanceScale = guidance };
        var error = Assert.ThrowsAny<ArgumentException>(() => pipeline.Generate([prompt], [1], bad));
        Assert.Contains(mentioned, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(GenerationOptions.MaxTextNoise + 1)]
    public void BadTextNoiseIsRejectedBeforeAnyWork(double textNoise)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => pipeline.Generate(["ok"], [1], options with { TextNoise = textNoise }));
        Assert.Contains("text noise", error.Message);
    }

    [Fact]
    public void TextNoiseScalesTheTextVaeSamplingNoise()
    {
        using var scope = torch.NewDisposeScope();
        using var encoding = pipeline.EncodePrompt(["a red circle", "a red circle"]);
        var full = pipeline.PrepareLatents(encoding, [1, 2]);
        Assert.True(full.equal(pipeline.PrepareLatents(encoding, [1, 2], textNoise: 1.0)).all().item<bool>());
        // 0: every seed starts from the text tokens' mean.
        var mean = pipeline.PrepareLatents(encoding, [1, 2], textNoise: 0);
        ParitySet.AssertClose(encoding.Mu.to(ScalarType.Float32), mean, "Z_T at text noise 0", 1e-6);
        // s: the mean plus s times the seed's noise.
        var half = pipeline.PrepareLatents(encoding, [1, 2], textNoise: 0.5);
        ParitySet.AssertClose(mean + 0.5 * (full - mean), half, "Z_T at text noise 0.5", 1e-5);
        Assert.False(full[0].allclose(full[1]), "seeds must differ at text noise 1");

        var images = pipeline.Generate(["a red circle", "a red circle"], [1, 2], options with { TextNoise = 0 });
        ParitySet.AssertClose(images[0], images[1], "two seeds at text noise 0", 1e-5);
    }

    [Fact]
    public void OverlongPromptIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => TextToImagePipeline.CheckInputs([new string('a', TextToImagePipeline.MaxPromptCharacters + 1)], options));
        Assert.Contains("characters", error.Message);
    }

    [Fact]
    public void CancellationStopsSamplingAtTheNextStep()
    {
        using var cts = new CancellationTokenSource();
        var progress = new CancelAt(2, cts);
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Generate(["a dog"], [1], options with { Steps = 10 }, progress, cts.Token));
        Assert.Equal(2, progress.Last);
    }

    [Fact]
    public void DroppedRowsLeaveTheBatchAndTheOthersAreUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        using var encoding = pipeline.EncodePrompt(["a red circle", "two cats", "a dog"]);
        var zText = pipeline.PrepareLatents(encoding, [1, 2, 3]);
        var full = pipeline.Sample(zText, options);
        var stepsSeen = new List<int>();
        var pruned = pipeline.Sample(zText, options, keepRows: p =>
        {
            stepsSeen.Add(p.Step);
            return p.Step == 2 ? [0, 2] : null; // row 1's job was cancelled after step 2
        });
        Assert.Equal(new long[] { 2, full.shape[1], full.shape[2] }, pruned.shape);
        ParitySet.AssertClose(full[0], pruned[0], "row 0 after row 1 left", 1e-4);
        ParitySet.AssertClose(full[2], pruned[1], "row 2 after row 1 left", 1e-4);
        Assert.Equal(Enumerable.Range(1, options.Steps), stepsSeen);
    }

    [Fact]
    public void PngHoldsTheImagePixels()
    {
        using var scope = torch.NewDisposeScope();
        var images = pipeline.Generate(["a green triangle"], [3], options);
        var png = ImageIo.ToPng(images[0]);
        using var decoded = Image.Load<Rgb24>(png);
        Assert.Equal(pipeline.ImageSize, decoded.Width);
        Assert.Equal(pipeline.ImageSize, decoded.Height);
        var expected = (images[0] * 255).round().to(ScalarType.Byte);
        var pixel = decoded[decoded.Width / 2, decoded.Height / 3];
        Assert.Equal(expected[0, decoded.Height / 3, decoded.Width / 2].item<byte>(), pixel.R);
        Assert.Equal(expected[2, decoded.Height / 3, decoded.Width / 2].item<byte>(), pixel.B);

        // Loading it back for the tokenizer gives the same values (no resize at the native size).
        var reloaded = ImageIo.Load(png, pipeline.ImageSize);
        ParitySet.AssertClose(images[0], reloaded, "PNG round trip", 0.5 / 255 + 1e-6);
    }

    private sealed class CancelAt(int step, CancellationTokenSource cts) : IProgress<Sampling.SamplingProgress>
    {
        public int Last { get; private set; }

        public void Report(Sampling.SamplingProgress value)
        {
            Last = value.Step;
            if (value.Step == step) cts.Cancel();
        }
    }

    public void Dispose()
    {
        pipeline.Dispose();
        temp.Dispose();
    }
}
