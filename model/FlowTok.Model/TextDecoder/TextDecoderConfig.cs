namespace FlowTok.Model.TextDecoder;

/// <summary>
/// The image-to-text direction's text decoder: transformer blocks over the flow's text tokens Z_T [B, tokens, channels]
/// predicting a CLIP token id per position. The paper describes it; no weights were published.
/// </summary>
public sealed record TextDecoderConfig
{
    public int Channels { get; init; } = 16;
    public int Tokens { get; init; } = 77;
    public int Width { get; init; } = 512;
    public int Layers { get; init; } = 6;
    public int Heads { get; init; } = 8;
    public double MlpRatio { get; init; } = 4.0;
    public int VocabSize { get; init; } = 49408;

    public int MlpHidden => (int)(Width * MlpRatio);

    public void Validate()
    {
        if (Channels <= 0 || Tokens <= 0 || Width <= 0 || Layers <= 0 || Heads <= 0 || VocabSize <= 0)
            throw new ArgumentException($"text decoder config has a non-positive size: {this}");
        if (Width % Heads != 0)
            throw new ArgumentException($"text decoder width {Width} is not divisible by {Heads} heads");
    }
}
