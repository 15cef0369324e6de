namespace FlowTok.Model.Text;

/// <summary>
/// The text VAE (<c>context_encoder</c>) that turns CLIP states into FlowTok's compact text tokens, and the
/// alignment projector used by the contrastive loss. Published FlowTok: 6 blocks, 8 heads, FFN 1024 over 768-wide
/// CLIP states, 16 latent channels.
/// </summary>
public sealed record TextVaeConfig
{
    /// <summary>Width of the CLIP states it reads (d_model).</summary>
    public int Width { get; init; } = 768;
    public int Blocks { get; init; } = 6;
    public int Heads { get; init; } = 8;
    public int FeedForward { get; init; } = 1024;
    /// <summary>Channels of a text token (Z_T is [B, tokens, LatentChannels]); the encoder outputs twice that (mu | logvar).</summary>
    public int LatentChannels { get; init; } = 16;
    /// <summary>Epsilon added to the (unbiased) standard deviation in the reference LayerNorm.</summary>
    public double NormEps { get; init; } = 1e-5;
    /// <summary>Hidden width of <c>context_projector</c>.</summary>
    public int ProjectorHidden { get; init; } = 512;
    /// <summary>Whether the checkpoint carries the learned contrastive temperature <c>t2t_temperature</c>.</summary>
    public bool LearnedTemperature { get; init; } = true;

    public static TextVaeConfig FlowTok => new();

    public void Validate()
    {
        if (Width <= 0 || Blocks <= 0 || Heads <= 0 || FeedForward <= 0 || LatentChannels <= 0 || ProjectorHidden <= 0)
            throw new ArgumentException($"text VAE config has a non-positive size: {this}");
        if (Width % Heads != 0)
            throw new ArgumentException($"text VAE width {Width} is not divisible by {Heads} heads");
    }
}
