namespace FlowTok.Model.Flow;

/// <summary>
/// The flow transformer (a DiT over 1D tokens). Published sizes: B 12/768/12, XL 28/1152/16, H 36/1280/20
/// (depth/width/heads); S and L follow DiT.
/// </summary>
public sealed record FlowTransformerConfig
{
    public int Hidden { get; init; } = 1152;
    public int Depth { get; init; } = 28;
    public int Heads { get; init; } = 16;
    public double MlpRatio { get; init; } = 4.0;
    /// <summary>Channels of a token, in and out (16 for FlowTok: text and image tokens share the space).</summary>
    public int Channels { get; init; } = 16;
    /// <summary>Number of 1D tokens (77: CLIP's context length and FlowTiTok's latent tokens).</summary>
    public int Tokens { get; init; } = 77;
    public int FrequencyEmbeddingSize { get; init; } = 256;
    /// <summary>Rows of the CFG indicator table: 0 conditional, 1 null.</summary>
    public int IndicatorClasses { get; init; } = 2;

    public static FlowTransformerConfig S => new() { Depth = 12, Hidden = 384, Heads = 6 };
    public static FlowTransformerConfig B => new() { Depth = 12, Hidden = 768, Heads = 12 };
    public static FlowTransformerConfig L => new() { Depth = 24, Hidden = 1024, Heads = 16 };
    public static FlowTransformerConfig XL => new() { Depth = 28, Hidden = 1152, Heads = 16 };
    public static FlowTransformerConfig H => new() { Depth = 36, Hidden = 1280, Heads = 20 };

    /// <summary>A named size (S, B, L, XL, H), case-insensitive.</summary>
    public static FlowTransformerConfig Named(string size) => size.ToUpperInvariant() switch
    {
        "S" => S,
        "B" => B,
        "L" => L,
        "XL" => XL,
        "H" => H,
        _ => throw new ArgumentException($"unknown flow transformer size '{size}' (expected S, B, L, XL or H)"),
    };

    public int MlpHidden => (int)(Hidden * MlpRatio);

    public void Validate()
    {
        if (Hidden <= 0 || Depth <= 0 || Heads <= 0 || Channels <= 0 || Tokens <= 0 || FrequencyEmbeddingSize <= 0)
            throw new ArgumentException($"flow transformer config has a non-positive size: {this}");
        if (Hidden % Heads != 0)
            throw new ArgumentException($"flow transformer width {Hidden} is not divisible by {Heads} heads");
        if (Hidden % 2 != 0 || FrequencyEmbeddingSize % 2 != 0)
            throw new ArgumentException("flow transformer width and frequency embedding size must be even (sin-cos halves)");
    }
}
