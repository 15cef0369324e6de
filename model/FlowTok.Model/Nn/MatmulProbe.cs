using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>
/// What this CPU's libtorch kernels reach on a plain square matrix product, fp32 against bf16 (GFLOP/s, the best of a few
/// runs after a warm-up; about a tenth of a second), measured once per process. The CPU's flags say whether bf16 is native,
/// not whether it is faster: on an Intel Xeon with AVX512-BF16 but no AMX exposed, libtorch's bf16 products ran at 166
/// GFLOP/s against 303 for fp32, while an AMD EPYC with AVX512-BF16 reached about 700 against 176.
/// </summary>
public sealed record MatmulProbe(double Fp32GflopS, double Bf16GflopS)
{
    private const int Size = 1024;
    private static readonly Lazy<MatmulProbe> Measured = new(Measure);

    /// <summary>This process's measurement (made at the first use).</summary>
    public static MatmulProbe Current => Measured.Value;

    public override string ToString() => $"bf16 matmul {Bf16GflopS:F0} vs fp32 {Fp32GflopS:F0} GFLOP/s";

    private static MatmulProbe Measure() => new(Rate(ScalarType.Float32), Rate(ScalarType.BFloat16));

    /// <summary>GFLOP/s of a <paramref name="size"/>² square matrix product in <paramref name="dtype"/> on the CPU: the best of
    /// <paramref name="repeats"/> timed products after one warm-up.</summary>
    public static double Rate(ScalarType dtype, int size = Size, int repeats = 3)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(size, size).to(dtype);
        var b = torch.randn(size, size).to(dtype);
        torch.matmul(a, b);
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            using var step = torch.NewDisposeScope();
            var watch = Stopwatch.StartNew();
            torch.matmul(a, b);
            best = Math.Max(best, 2.0 * size * size * size / watch.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
