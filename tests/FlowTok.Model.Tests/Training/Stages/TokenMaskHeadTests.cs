using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Training.Stages;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training.Stages;

public sealed class TokenMaskHeadTests
{
    private static ImageTokenizerConfig Config(bool gridAligned = true) => new()
    {
        ImageSize = 32, PatchSize = 8, TokenSize = 8, LatentTokens = 16, Encoder = new VitSize(32, 1, 2), Decoder = new VitSize(32, 1, 2),
        TextEmbedDim = 32, TextTokens = 16, GridAlignedLatents = gridAligned,
    };

    /// <summary>A head whose every mask pixel is weight x (its cell's token's first channel) + bias.</summary>
    private static TokenMaskHead FirstChannelHead(ImageTokenizerConfig config, float weight, float bias)
    {
        var head = new TokenMaskHead(config);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in head.named_parameters())
        {
            p.zero_();
            if (name.EndsWith("weight")) p[.., 0] = torch.tensor(weight);
            else p.fill_(bias);
        }
        return head;
    }

    [Fact]
    public void EachTokenDrawsTheMaskOfItsOwnCellInTheTokenGridsOrder()
    {
        using var scope = torch.NewDisposeScope();
        var config = Config();
        // Every mask pixel of a cell = the cell's token's first channel.
        using var head = FirstChannelHead(config, weight: 1, bias: 0);
        int n = config.LatentTokens, channels = config.TokenSize;
        var tokens = torch.zeros(1, channels, 1, n);
        tokens[0, 0, 0] = torch.arange(n, dtype: ScalarType.Float32);

        var mask = head.forward(tokens);
        Assert.Equal(new long[] { 1, 1, config.ImageSize / TokenMaskHead.Subsample, config.ImageSize / TokenMaskHead.Subsample }, mask.shape);
        // The cell layout the text-to-image token weights use (adaptive pooling to the grid, flattened row by row).
        var cells = nn.functional.adaptive_avg_pool2d(mask, [config.LatentRows, config.LatentColumns]).flatten();
        Assert.True(cells.allclose(torch.arange(n, dtype: ScalarType.Float32), rtol: 0, atol: 1e-6), string.Join(", ", cells.data<float>().ToArray()));
        // ...and each cell is uniform: no token leaks into another's cell.
        var spread = mask.max() - mask.min();
        Assert.Equal(n - 1, spread.item<float>(), 5);
        var pooledMax = nn.functional.adaptive_max_pool2d(mask, [config.LatentRows, config.LatentColumns]).flatten();
        Assert.True(pooledMax.allclose(cells, rtol: 0, atol: 1e-6), "a cell holds values of another token");
    }

    [Fact]
    public void TheLossIsLowestWhenThePredictedMaskCoversTheObject()
    {
        using var scope = torch.NewDisposeScope();
        var config = Config();
        using var head = FirstChannelHead(config, weight: 20, bias: -10);
        // A grey image with a white object filling cell (1, 2) exactly: 8 x 8 pixels at rows 8..15, columns 16..23.
        var image = torch.full(1, 3, 32, 32, 0.5f);
        image[0, .., 8..16, 16..24] = torch.tensor(1f);
        var right = torch.zeros(1, config.TokenSize, 1, config.LatentTokens);
        right[0, 0, 0, 1 * config.LatentColumns + 2] = torch.tensor(1f);
        var wrong = torch.zeros(1, config.TokenSize, 1, config.LatentTokens);
        wrong[0, 0, 0, 2 * config.LatentColumns + 1] = torch.tensor(1f);

        var mask = ImageTokenizerStage.ForegroundMask(image);
        float atObject = head.Loss(right, mask).item<float>(), elsewhere = head.Loss(wrong, mask).item<float>();
        Assert.True(atObject < 1e-3, $"loss {atObject} with the object's cell lit");
        Assert.True(elsewhere > 100 * atObject, $"loss {elsewhere} with the wrong cell lit against {atObject}");
    }

    [Fact]
    public void TokensWithoutAGridAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new TokenMaskHead(Config(gridAligned: false)));
        Assert.Contains("grid-aligned", error.Message);
    }
}
