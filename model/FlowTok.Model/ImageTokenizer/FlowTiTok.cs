using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>
/// FlowTiTok: <c>latent_tokens</c>, <c>encoder</c> and text-aware <c>decoder</c>, named like the reference checkpoint.
/// Converts between images and the flow's image tokens [B, latentTokens, tokenSize] (scaled by <see cref="ImageTokenizerConfig.ScaleFactor"/>).
/// </summary>
public sealed class FlowTiTok : nn.Module
{
    private readonly Parameter latent_tokens;
    private readonly FlowTiTokEncoder encoder;
    private readonly FlowTiTokDecoder decoder;

    public ImageTokenizerConfig Config { get; }

    public FlowTiTok(ImageTokenizerConfig config) : base(nameof(FlowTiTok))
    {
        config.Validate();
        Config = config;
        latent_tokens = nn.Parameter(torch.randn(config.LatentTokens, config.Encoder.Width) * Math.Pow(config.Encoder.Width, -0.5));
        encoder = new FlowTiTokEncoder(config);
        decoder = new FlowTiTokDecoder(config);
        RegisterComponents();
    }

    /// <summary>Stops training the encoder side (latent tokens and encoder), so the tokens stay as they are while the decoder trains on.</summary>
    public void FreezeEncoder()
    {
        latent_tokens.requires_grad = false;
        foreach (var p in encoder.parameters()) p.requires_grad = false;
    }

    /// <summary>Images [B, 3, S, S] in [0, 1] -> posterior parameters [B, 2C, 1, N].</summary>
    public Tensor EncodePosterior(Tensor pixels) => encoder.forward(pixels, latent_tokens);

    /// <summary>Tokens [B, C, 1, N] (unscaled) + CLIP states -> images [B, 3, S, S].</summary>
    public Tensor Decode(Tensor tokens, Tensor textGuidance) => decoder.forward(tokens, textGuidance);

    /// <summary>Flow-space tokens [B, N, C] (scaled) -> decoder input [B, C, 1, N] (unscaled).</summary>
    public Tensor FromFlowTokens(Tensor flowTokens) =>
        flowTokens.transpose(1, 2).unsqueeze(2) / Config.ScaleFactor;

    /// <summary>Decoder-space tokens [B, C, 1, N] -> flow-space tokens [B, N, C] (scaled).</summary>
    public Tensor ToFlowTokens(Tensor tokens) =>
        tokens.squeeze(2).transpose(1, 2) * Config.ScaleFactor;

    /// <summary>Flow tokens [B, N, C] + CLIP states -> images in ~[0, 1].</summary>
    public Tensor DecodeFlowTokens(Tensor flowTokens, Tensor textGuidance)
    {
        using var scope = torch.NewDisposeScope();
        return Decode(FromFlowTokens(flowTokens), textGuidance).MoveToOuterDisposeScope();
    }

    /// <summary>Images -> flow tokens of the posterior mean and of a posterior sample (drawn from <paramref name="generator"/> just as
    /// <see cref="EncodeFlowTokens"/> draws it), from one encoder pass.</summary>
    public (Tensor Mean, Tensor Sample) EncodeFlowTokenPair(Tensor pixels, Generator? generator = null)
    {
        using var scope = torch.NewDisposeScope();
        using var posterior = new DiagonalGaussian(EncodePosterior(pixels));
        var mean = ToFlowTokens(posterior.Mode());
        var sample = ToFlowTokens(posterior.Sample(generator));
        return (mean.MoveToOuterDisposeScope(), sample.MoveToOuterDisposeScope());
    }

    /// <summary>Images -> flow tokens [B, N, C] from the posterior mean (deterministic), scaled.</summary>
    public Tensor EncodeFlowTokens(Tensor pixels, bool sample = false, Generator? generator = null)
    {
        using var scope = torch.NewDisposeScope();
        using var posterior = new DiagonalGaussian(EncodePosterior(pixels));
        var z = sample ? posterior.Sample(generator) : posterior.Mode();
        return ToFlowTokens(z).MoveToOuterDisposeScope();
    }
}
