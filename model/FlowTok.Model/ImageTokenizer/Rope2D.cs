using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>
/// 2D rotary position embedding for the patch tokens (<c>positional_embedding.freqs_cos/freqs_sin</c>, [grid^2, headDim]).
/// The first half of a head's dims encodes the row, the second half the column; rotation pairs are adjacent
/// (interleaved) elements. Only the first grid^2 tokens of a sequence are rotated.
/// </summary>
public sealed class Rope2D : nn.Module
{
    private readonly Tensor freqs_cos;
    private readonly Tensor freqs_sin;
    private readonly long positions;

    public Rope2D(int grid, int headDim, double theta) : base(nameof(Rope2D))
    {
        positions = (long)grid * grid;
        (freqs_cos, freqs_sin) = Table(grid, headDim, theta);
        RegisterComponents();
    }

    /// <summary>The cos/sin tables, computed like the reference in float32 (checkpoints also store them).</summary>
    public static (Tensor Cos, Tensor Sin) Table(int grid, int headDim, double theta)
    {
        using var scope = torch.NewDisposeScope();
        int axisDim = headDim / 2;
        var exponents = torch.arange(0, axisDim, 2, dtype: ScalarType.Float32)[..(axisDim / 2)] / axisDim;
        var freqs = 1.0f / torch.pow((float)theta, exponents);
        var t = torch.arange(grid, dtype: ScalarType.Float32) / grid * grid;
        var axis = torch.einsum("i,f->if", t, freqs).repeat_interleave(2, dim: -1); // [grid, axisDim]
        var rows = axis.unsqueeze(1).expand(grid, grid, axisDim);
        var cols = axis.unsqueeze(0).expand(grid, grid, axisDim);
        var angles = torch.cat([rows, cols], -1).reshape(grid * grid, headDim);
        return (angles.cos().MoveToOuterDisposeScope(), angles.sin().MoveToOuterDisposeScope());
    }

    /// <summary>u [B, H, N, D] -> u with the first grid^2 positions rotated.</summary>
    public Tensor Apply(Tensor u)
    {
        var head = u[.., .., ..(int)positions];
        var tail = u[.., .., (int)positions..];
        var cos = freqs_cos.to(u.dtype);
        var sin = freqs_sin.to(u.dtype);
        var rotated = head * cos + RotateInterleaved(head) * sin;
        return torch.cat([rotated, tail], 2);
    }

    /// <summary>(u0, u1, u2, u3, ...) -> (-u1, u0, -u3, u2, ...).</summary>
    private static Tensor RotateInterleaved(Tensor u)
    {
        long[] pairShape = [.. u.shape[..^1], u.shape[^1] / 2, 2];
        var pairs = u.reshape(pairShape);
        var even = pairs[TensorIndex.Ellipsis, 0];
        var odd = pairs[TensorIndex.Ellipsis, 1];
        return torch.stack([-odd, even], -1).reshape(u.shape);
    }
}
