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

    public int Grid => ImageSize / PatchSize;

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
        if (PixelChannels < 0) throw new ArgumentException($"pixel channels must be 0 or positive: {PixelChannels}");
        if (TokenSize <= 0 || LatentTokens <= 0 || TextEmbedDim <= 0 || TextTokens <= 0 || ScaleFactor <= 0)
            throw new ArgumentException($"image tokenizer config has a non-positive size: {this}");
    }
}
