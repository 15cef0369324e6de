using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Flow;

/// <summary>Fixed sinusoidal embeddings of the flow transformer.</summary>
public static class SinCos
{
    /// <summary>
    /// 1D position table [tokens, dim], MAE style: omega_i = 10000^(-i/(dim/2)); row p = [sin(p omega), cos(p omega)]
    /// (sin half first). Computed in float64 like the reference, returned as float32.
    /// </summary>
    public static Tensor PositionTable(int tokens, int dim)
    {
        using var scope = torch.NewDisposeScope();
        int half = dim / 2;
        var omega = 1.0 / torch.pow(10000.0, torch.arange(half, dtype: ScalarType.Float64) / half);
        var args = torch.arange(tokens, dtype: ScalarType.Float64).unsqueeze(1) * omega.unsqueeze(0);
        return torch.cat([args.sin(), args.cos()], 1).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DiT timestep features [B, dim] for t in [0, 1] (not x1000): freqs_j = exp(-ln(10000) j / half);
    /// [cos(t f), sin(t f)] (cos half first).
    /// </summary>
    public static Tensor Timestep(Tensor t, int dim, double maxPeriod = 10000)
    {
        using var scope = torch.NewDisposeScope();
        int half = dim / 2;
        var freqs = torch.exp(-Math.Log(maxPeriod) * torch.arange(half, dtype: ScalarType.Float32, device: t.device) / half);
        var args = t.to(ScalarType.Float32).unsqueeze(1) * freqs.unsqueeze(0);
        return torch.cat([args.cos(), args.sin()], -1).MoveToOuterDisposeScope();
    }
}
