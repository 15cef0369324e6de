using FlowTok.Model.ImageTokenizer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Training-only probe of grid-aligned image tokens: one linear map, shared by every token, from a token's channels to the
/// object's mask over its own cell (at <see cref="Subsample"/>-pixel resolution). Trained with the tokenizer, it makes the
/// outline a linear function of each token that is the same for every colour, so readers of the tokens (the flows) can find
/// shape apart from colour. It is not part of the tokenizer's checkpoint.
/// </summary>
public sealed class TokenMaskHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear proj;
    private readonly int rows, columns, cellHeight, cellWidth;

    public const int Subsample = 2;

    public TokenMaskHead(ImageTokenizerConfig config) : base(nameof(TokenMaskHead))
    {
        if (!config.GridAlignedLatents || config.LatentRows == 0)
            throw new ArgumentException("the token mask head needs grid-aligned image tokens (each token owns a cell of the image)", nameof(config));
        rows = config.LatentRows;
        columns = config.LatentColumns;
        int side = config.ImageSize / Subsample;
        if (config.ImageSize % Subsample != 0 || side % rows != 0 || side % columns != 0)
            throw new ArgumentException($"a {config.ImageSize} px image at {Subsample} px per mask pixel does not split into the tokens' {rows} x {columns} cells", nameof(config));
        cellHeight = side / rows;
        cellWidth = side / columns;
        proj = nn.Linear(config.TokenSize, cellHeight * cellWidth);
        RegisterComponents();
    }

    /// <summary>Tokens [B, C, 1, N] (decoder space) -> mask logits [B, 1, S / Subsample, S / Subsample].</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        long b = tokens.shape[0];
        var cells = proj.forward(tokens.squeeze(2).transpose(1, 2)); // [B, N, h w]
        var grid = cells.view(b, rows, columns, cellHeight, cellWidth).permute(0, 1, 3, 2, 4)
            .reshape(b, 1, rows * cellHeight, columns * cellWidth);
        return grid.MoveToOuterDisposeScope();
    }

    /// <summary>Binary cross-entropy of the predicted cell masks against the foreground share per subsampled pixel of the
    /// images' foreground mask [B, 1, S, S] (<see cref="ImageTokenizerStage.ForegroundMask"/>).</summary>
    public Tensor Loss(Tensor tokens, Tensor foregroundMask)
    {
        using var scope = torch.NewDisposeScope();
        var target = nn.functional.avg_pool2d(foregroundMask, Subsample);
        return nn.functional.binary_cross_entropy_with_logits(forward(tokens), target).MoveToOuterDisposeScope();
    }
}
