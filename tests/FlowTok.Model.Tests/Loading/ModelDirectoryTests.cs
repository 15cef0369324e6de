using FlowTok.Model.Checkpoints;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Tests.Checkpoints;
using FlowTok.Model.Tests.Parity;
using FlowTok.Model.TextDecoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Loading;

public sealed class ModelDirectoryTests : IDisposable
{
    private static readonly ParitySet Set = new();
    private readonly TempDirectory temp = new();

    [Fact]
    public void DirectoryOverReferenceWeightsReproducesReferenceSample()
    {
        using var scope = torch.NewDisposeScope();
        var dir = Set.WriteModelDirectory(temp.Path);
        using var pipeline = dir.LoadTextToImage();
        var image = RunReferenceCase(pipeline, dir.Index.Defaults.Steps, dir.Index.Defaults.GuidanceScale);
        ParitySet.AssertClose(Set.Cases["sample.image"].clamp(0.0, 1.0), image, "sample.image via model directory");
    }

    [Fact]
    public void Bf16PipelineStaysCloseToReference()
    {
        using var scope = torch.NewDisposeScope();
        var dir = Set.WriteModelDirectory(temp.Path);
        using var fp32 = dir.LoadTextToImage();
        using var bf16 = dir.LoadTextToImage(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.ComputeType);
        var options = new GenerationOptions { Steps = dir.Index.Defaults.Steps, GuidanceScale = dir.Index.Defaults.GuidanceScale };
        var eps = Set.Cases["sample.eps"];
        using var ids = Set.Cases["clip.ids"][..(int)eps.shape[0]];
        var expected = Set.Cases["sample.image"].clamp(0.0, 1.0);

        // Each stage on its own, fed the fp32 (reference) inputs, so a kernel that is wrong in one stage is named.
        using var encoding32 = fp32.EncodeIds(ids);
        using var encoding16 = bf16.EncodeIds(ids);
        var text = Bf16Bound.ForDepth(Bf16Bound.Blocks(Set.ClipConfig.Layers) + Bf16Bound.Blocks(Set.TextVaeConfig.Blocks));
        text.AssertClose(encoding32.Mu, encoding16.Mu, "text VAE mu");
        var zText = TextToImagePipeline.PrepareLatents(encoding32, eps);
        var tokens32 = fp32.Sample(zText, options);
        var flow = Bf16Bound.ForDepth(options.Steps * Bf16Bound.Blocks(Set.FlowConfig.Depth));
        flow.AssertClose(tokens32, bf16.Sample(zText, options), "flow tokens");
        var decode = Bf16Bound.ForDepth(Bf16Bound.Blocks(Set.TokenizerConfig.Decoder.Layers) + Bf16Bound.Convolutions);
        decode.AssertClose(expected, bf16.Decode(tokens32, encoding32.ClipStates), "decoded image");

        // The whole chain in bf16: the depths add up.
        var image = RunReferenceCase(bf16, options.Steps, options.GuidanceScale);
        Bf16Bound.ForDepth(text.Depth + flow.Depth + decode.Depth).AssertClose(expected, image, "bf16 sample.image");
    }

    [Fact]
    public void ArchitectureThatDoesNotMatchTheCheckpointNamesEveryKey()
    {
        var deeper = Set.FlowConfig with { Depth = Set.FlowConfig.Depth + 1 };
        var dir = Set.WriteModelDirectory(temp.Path, deeper);
        var error = Assert.Throws<CheckpointMismatchException>(() => dir.LoadTextToImage());
        var extraBlock = $"blocks.{deeper.Depth - 1}.";
        var expectedMissing = new FlowTransformer(deeper).state_dict().Keys.Where(k => k.StartsWith(extraBlock, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expectedMissing);
        Assert.Equal(expectedMissing.Order(StringComparer.Ordinal), error.Report.Missing);
        foreach (var key in expectedMissing) Assert.Contains(key, error.Message);
    }

    [Fact]
    public void TheIndexKeepsTheTextNoiseAndOlderIndexesMeanThePapersSampling()
    {
        var dir = Set.WriteModelDirectory(temp.Path);
        Assert.Equal(1.0, dir.Index.Defaults.TextNoise);
        var indexFile = System.IO.Path.Combine(temp.Path, ModelIndex.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(indexFile))!;
        json["defaults"]!["text_noise"] = 0.25;
        File.WriteAllText(indexFile, json.ToJsonString());
        Assert.Equal(0.25, ModelDirectory.Open(temp.Path).Index.Defaults.TextNoise);
        json["defaults"]!.AsObject().Remove("text_noise");
        File.WriteAllText(indexFile, json.ToJsonString());
        Assert.Equal(1.0, ModelDirectory.Open(temp.Path).Index.Defaults.TextNoise);
        // An out-of-range default fails when the directory is opened, not at the first request.
        json["defaults"]!["text_noise"] = -1;
        File.WriteAllText(indexFile, json.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => ModelDirectory.Open(temp.Path));
        Assert.Contains("text noise", error.Message);
        Assert.Contains(ModelIndex.FileName, error.Message);
    }

    [Fact]
    public void FolderWithoutIndexGivesClearError()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ModelDirectory.Open(temp.Path));
        Assert.Contains(ModelIndex.FileName, error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ModelDirectory.Open(System.IO.Path.Combine(temp.Path, "absent")));
    }

    [Fact]
    public void SavedComponentsLoadBackAndCaption()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var tokConfig = Set.TokenizerConfig;
        var flowConfig = Set.FlowConfig;
        var decoderConfig = new TextDecoderConfig { Channels = flowConfig.Channels, Width = 32, Layers = 1, Heads = 2, VocabSize = Set.ClipConfig.VocabSize };
        var tokenizer = new FlowTiTok(tokConfig);
        var flow = new FlowTransformer(flowConfig);
        var decoder = new TextTokenDecoder(decoderConfig);
        var dir = new ModelDirectoryBuilder(temp.Path)
            .Tokenizer(ReferenceFixtures.ClipMerges)
            .Component(ModelIndex.Roles.ImageTokenizer, tokConfig, tokenizer)
            .Component(ModelIndex.Roles.ImageToTextFlow, flowConfig, flow)
            .Component(ModelIndex.Roles.TextDecoder, decoderConfig, decoder)
            .Write("image-to-text-untrained");

        var reread = StateDict.Read(dir.WeightsPath(ModelIndex.Roles.ImageToTextFlow));
        TensorAssert.Identical(flow.state_dict(), reread);

        using var pipeline = dir.LoadImageToText();
        var images = torch.rand(2, 3, tokConfig.ImageSize, tokConfig.ImageSize);
        var captions = pipeline.Caption(images, new GenerationOptions { Steps = 2 });
        Assert.Equal(2, captions.Length);
        Assert.All(captions, c => Assert.NotNull(c));
        Assert.Throws<InvalidOperationException>(() => Set.WriteModelDirectory(temp.Path + "-t2i").LoadImageToText());
    }

    private static Tensor RunReferenceCase(TextToImagePipeline pipeline, int steps, double guidance)
    {
        var eps = Set.Cases["sample.eps"];
        using var encoding = pipeline.EncodeIds(Set.Cases["clip.ids"][..(int)eps.shape[0]]);
        var zText = TextToImagePipeline.PrepareLatents(encoding, eps);
        var zImage = pipeline.Sample(zText, new GenerationOptions { Steps = steps, GuidanceScale = guidance });
        return pipeline.Decode(zImage, encoding.ClipStates);
    }

    public void Dispose()
    {
        temp.Dispose();
        if (Directory.Exists(temp.Path + "-t2i")) Directory.Delete(temp.Path + "-t2i", recursive: true);
    }
}
