using System.Text.Json.Serialization;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>Width, depth and heads of one ViT (FlowTiTok's encoder or decoder).</summary>
public sealed record VitSize(int Width, int Layers, int Heads)
{
    public static VitSize Tiny => new(64, 2, 4);
    public static VitSize Small => new(512, 8, 8);
    public static VitSize Base => new(768, 12, 12);
    public static VitSize Large => new(1024, 24, 16);

    /// <summary>A named size: tiny, small, base, large.</summary>
    public static VitSize Named(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        "base" => Base,
        "large" => Large,
        _ => throw new ArgumentException($"unknown ViT size '{name}' (expected tiny, small, base or large)"),
    };

    public int HeadDim => Width / Heads;

    /// <summary>SwiGLU hidden width: int(2/3 * 4 * width), truncated like the reference.</summary>
    public int SwiGluHidden => (int)(2.0 / 3.0 * (4 * Width));
}

/// <summary>
/// FlowTiTok, the 1D image tokenizer with a text-aware decoder. Published: base encoder, large decoder, patch 16,
/// 77 latent tokens of 16 channels, 256 or 512 px, text guidance from 768-wide CLIP states.
/// </summary>
public sealed record ImageTokenizerConfig
{
    public int ImageSize { get; init; } = 256;
    public int PatchSize { get; init; } = 16;
    public int TokenSize { get; init; } = 16;
    public int LatentTokens { get; init; } = 77;
    public VitSize Encoder { get; init; } = VitSize.Base;
    public VitSize Decoder { get; init; } = VitSize.Large;
    /// <summary>Width of the CLIP states the decoder is guided by.</summary>
    public int TextEmbedDim { get; init; } = 768;
    /// <summary>Text-guidance tokens (CLIP context length).</summary>
    public int TextTokens { get; init; } = 77;
    public double RopeTheta { get; init; } = 10000;
    /// <summary>Flow latents are posterior samples times this factor; decoding divides by it.</summary>
    public double ScaleFactor { get; init; } = 1.0143;
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>
    /// Feature channels per pixel of the decoder's pixel head, refined by a residual 3x3 conv before the output conv;
    /// 0 (the published layout) writes RGB directly.
    /// </summary>
    public int PixelChannels { get; init; }
    /// <summary>
    /// Grid-aligned latents (not in the published checkpoints, adds no weights): the latent tokens are laid on a
    /// <see cref="LatentRows"/> x <see cref="LatentColumns"/> grid over the image. The encoder adds to each latent token
    /// the mean of the patch embeddings in its cell, and the decoder adds to each mask token its cell's latent
    /// embedding. A direct spatial path from the first step: without it, attention must learn position-specific
    /// routing from identical queries before any foreground reaches the tokens, which a small CPU budget never does.
    /// </summary>
    public bool GridAlignedLatents { get; init; }

    public int Grid => ImageSize / PatchSize;

    /// <summary>Rows of the latent grid (0 when the tokens cannot tile the patch grid): rows and columns both divide
    /// <see cref="Grid"/>, rows x columns = latent tokens, and rows is the largest such that rows &lt;= columns.</summary>
    [JsonIgnore]
    public int LatentRows => Enumerable.Range(1, Grid).Where(r => Grid % r == 0 && LatentTokens % r == 0 && Grid % (LatentTokens / r) == 0)
        .Where(r => r <= LatentTokens / r).DefaultIfEmpty(0).Max();

    [JsonIgnore]
    public int LatentColumns => LatentRows == 0 ? 0 : LatentTokens / LatentRows;

    public void Validate()
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"image size {ImageSize} must be a positive multiple of the patch size {PatchSize}");
        foreach (var (name, vit) in new[] { ("encoder", Encoder), ("decoder", Decoder) })
        {
            if (vit.Width <= 0 || vit.Layers <= 0 || vit.Heads <= 0 || vit.Width % vit.Heads != 0)
                throw new ArgumentException($"{name} size {vit} is invalid: width must be a positive multiple of heads");
            if (vit.HeadDim % 4 != 0)
                throw new ArgumentException($"{name} head dim {vit.HeadDim} must be a multiple of 4 for 2D RoPE");
        }
        if (GridAlignedLatents && LatentRows == 0)
            throw new ArgumentException($"grid-aligned latents need the {LatentTokens} latent tokens to tile the {Grid}x{Grid} patch grid as rows x columns that both divide {Grid}");
        if (PixelChannels < 0) throw new ArgumentException($"pixel channels must be 0 or positive: {PixelChannels}");
        if (TokenSize <= 0 || LatentTokens <= 0 || TextEmbedDim <= 0 || TextTokens <= 0 || ScaleFactor <= 0)
            throw new ArgumentException($"image tokenizer config has a non-positive size: {this}");
    }
}
