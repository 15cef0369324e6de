using System.Text.Json.Nodes;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Tokenizer;

/// <summary>The grid-aligned latents extension: its layout, its validation, its spatial path and its stored config.</summary>
public sealed class GridAlignedLatentsTests
{
    private static ImageTokenizerConfig Config(int imageSize, int patch, int tokens) => new()
    {
        ImageSize = imageSize, PatchSize = patch, TokenSize = 4, LatentTokens = tokens, TextEmbedDim = 16, TextTokens = 5,
        Encoder = new VitSize(32, 2, 4), Decoder = new VitSize(32, 2, 4), PixelChannels = 6, GridAlignedLatents = true,
    };

    [Theory]
    [InlineData(64, 8, 32, 4, 8)]
    [InlineData(64, 8, 16, 4, 4)]
    [InlineData(64, 8, 8, 2, 4)]
    [InlineData(32, 8, 16, 4, 4)]
    [InlineData(256, 16, 64, 8, 8)]
    public void TheLatentsTileThePatchGrid(int imageSize, int patch, int tokens, int rows, int columns)
    {
        var config = Config(imageSize, patch, tokens);
        config.Validate();
        Assert.Equal((rows, columns), (config.LatentRows, config.LatentColumns));
    }

    [Fact]
    public void TokensThatCannotTileTheGridAreRefusedOnlyWhenGridAligned()
    {
        var published = new ImageTokenizerConfig(); // 77 tokens on a 16 x 16 grid
        published.Validate();
        var error = Assert.Throws<ArgumentException>(() => (published with { GridAlignedLatents = true }).Validate());
        Assert.Contains("77 latent tokens", error.Message);
    }

    [Fact]
    public void ChangingOneCellOfTheImageMovesThatCellsTokenMost()
    {
        var config = Config(32, 8, 16); // 4 x 4 latent grid over a 4 x 4 patch grid: one patch per token
        torch.manual_seed(3);
        using var tokenizer = new FlowTiTok(config);
        tokenizer.eval();
        using var noGrad = torch.no_grad();
        var image = torch.full(1, 3, 32, 32, 0.5f);
        var changed = image.clone();
        int row = 2, column = 1, cell = 32 / config.LatentRows;
        changed[.., .., (row * cell)..((row + 1) * cell), (column * cell)..((column + 1) * cell)] = 1.0f;

        var before = tokenizer.EncodePosterior(image).chunk(2, 1)[0];  // means [1, tokenSize, 1, tokens]
        var after = tokenizer.EncodePosterior(changed).chunk(2, 1)[0];
        var moved = (after - before).abs().sum([0, 1, 2]);             // [tokens]
        int target = row * config.LatentColumns + column;
        var others = torch.cat([moved[..target], moved[(target + 1)..]]);
        Assert.Equal(target, moved.argmax().item<long>());
        Assert.True(moved[target].item<float>() > 2 * others.max().item<float>(),
            $"the changed cell's token moved {moved[target].item<float>():F4}, the most of any other {others.max().item<float>():F4}");
    }

    [Fact]
    public void TheFlagIsStoredWithTheConfig()
    {
        using var temp = new TempDirectory();
        var config = Config(64, 8, 32);
        var path = temp.File("config.json");
        ComponentConfig.Save(config, path);
        Assert.Equal(config, ComponentConfig.Load<ImageTokenizerConfig>(path));
        // A config written before the extension (every published one) has no such field: off.
        var old = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.True(old.Remove("grid_aligned_latents"));
        File.WriteAllText(path, old.ToJsonString());
        Assert.Equal(config with { GridAlignedLatents = false }, ComponentConfig.Load<ImageTokenizerConfig>(path));
    }
}
