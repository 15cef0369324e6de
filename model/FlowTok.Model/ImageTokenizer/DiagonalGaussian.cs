using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>The tokenizer's posterior: parameters [B, 2C, 1, N] split into mean (first C) and logvar (clamped to [-30, 20]).</summary>
public sealed class DiagonalGaussian : IDisposable
{
    public Tensor Mean { get; }
    public Tensor LogVar { get; }

    public DiagonalGaussian(Tensor parameters)
    {
        var parts = parameters.chunk(2, 1);
        Mean = parts[0];
        LogVar = parts[1].clamp(-30.0, 20.0);
    }

    public Tensor Std => torch.exp(LogVar * 0.5);

    public Tensor Mode() => Mean;

    public Tensor Sample(Generator? generator = null) =>
        Mean + Std * torch.randn(Mean.shape, dtype: Mean.dtype, device: Mean.device, generator: generator);

    /// <summary>KL to N(0, I), summed over channels and the singleton axis: [B, N].</summary>
    public Tensor Kl() => (Mean.pow(2) + LogVar.exp() - 1.0 - LogVar).sum([1, 2]) * 0.5;

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
    }
}
