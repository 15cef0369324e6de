using FlowTok.Model.Checkpoints;
using FlowTok.Model.Loading;
using FlowTok.Model.Tests.Checkpoints;
using FlowTok.Model.Tests.Parity;

namespace FlowTok.Model.Tests.Loading;

/// <summary>Configs read off the reference checkpoints' shapes equal the fixture's config.json.</summary>
public sealed class ConfigInferenceTests
{
    private static readonly ParitySet Set = new();

    [Theory]
    [InlineData("clip_text.openai.safetensors")]
    [InlineData("clip_text.hf.safetensors")]
    public void ClipConfigFollowsFromEitherNaming(string file)
    {
        var inferred = ConfigInference.Clip(StateDict.Inspect(ReferenceFixtures.PathOf(file)), Set.ClipConfig.Heads);
        Assert.Equal(Set.ClipConfig with { ProjectionDim = inferred.ProjectionDim }, inferred);
    }

    [Theory]
    [InlineData("flowtok.safetensors")]
    [InlineData("flowtok.pth")]
    public void FlowAndTextVaeConfigsFollowFromTheFlowTokCheckpoint(string file)
    {
        var info = StateDict.Inspect(ReferenceFixtures.PathOf(file));
        Assert.Equal(Set.FlowConfig, ConfigInference.Flow(info, Set.FlowConfig.Heads));
        Assert.Equal(Set.TextVaeConfig, ConfigInference.TextVae(info, Set.TextVaeConfig.Heads));
    }

    [Theory]
    [InlineData("flowtitok.safetensors")]
    [InlineData("flowtitok.bin")]
    public void ImageTokenizerConfigIncludingHeadsFollowsFromShapes(string file)
    {
        var inferred = ConfigInference.ImageTokenizer(StateDict.Inspect(ReferenceFixtures.PathOf(file)));
        Assert.Equal(Set.TokenizerConfig, inferred);
    }

    [Fact]
    public void ThePixelRefinerOfTheProjectsTokenizerIsReadOffItsShapes()
    {
        using var temp = new TempDirectory();
        var config = new ImageTokenizer.ImageTokenizerConfig
        {
            ImageSize = 32, PatchSize = 8, TokenSize = 4, LatentTokens = 6, TextEmbedDim = 16, TextTokens = 5,
            Encoder = new ImageTokenizer.VitSize(32, 1, 4), Decoder = new ImageTokenizer.VitSize(32, 2, 4), PixelChannels = 6,
        };
        using var tokenizer = new ImageTokenizer.FlowTiTok(config);
        var path = temp.File("tokenizer.safetensors");
        StateDict.WriteSafetensors(path, tokenizer.state_dict());

        Assert.Equal(config with { ScaleFactor = new ImageTokenizer.ImageTokenizerConfig().ScaleFactor },
            ConfigInference.ImageTokenizer(StateDict.Inspect(path)));
        using var images = tokenizer.Decode(TorchSharp.torch.zeros(2, 4, 1, 6), TorchSharp.torch.zeros(2, 5, 16));
        Assert.Equal(new long[] { 2, 3, 32, 32 }, images.shape);
    }

    [Fact]
    public void WrongComponentIsNamed()
    {
        var error = Assert.Throws<InvalidDataException>(() => ConfigInference.Flow(StateDict.Inspect(ReferenceFixtures.PathOf("flowtitok.bin"))));
        Assert.Contains("flowtitok", error.Message);
    }
}
