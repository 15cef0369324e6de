namespace FlowTok.Model.Clip;

/// <summary>Hyperparameters of CLIP's text transformer (OpenAI ViT-L/14-336: width 768, 12 heads, 12 layers).</summary>
public sealed record ClipTextConfig
{
    public int VocabSize { get; init; } = 49408;
    public int ContextLength { get; init; } = 77;
    public int Width { get; init; } = 768;
    public int Heads { get; init; } = 12;
    public int Layers { get; init; } = 12;
    /// <summary>Width of <c>text_projection</c> (joint embedding); null when the checkpoint has no projection head.</summary>
    public int? ProjectionDim { get; init; } = 768;
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>OpenAI CLIP ViT-L/14-336's text tower, the one FlowTok conditions on.</summary>
    public static ClipTextConfig VitL14_336 => new();

    public void Validate()
    {
        if (Width <= 0 || Heads <= 0 || Layers <= 0 || VocabSize <= 0 || ContextLength <= 0)
            throw new ArgumentException($"CLIP text config has a non-positive size: {this}");
        if (Width % Heads != 0)
            throw new ArgumentException($"CLIP text width {Width} is not divisible by {Heads} heads");
    }
}
