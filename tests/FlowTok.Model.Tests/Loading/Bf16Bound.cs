using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Loading;

/// <summary>
/// How far a bf16 computation may stray from the same computation in fp32, from bf16's precision and the computation's
/// depth rather than from one machine's kernels. bf16 keeps 8 significant bits: every rounding errs by at most
/// u = 2^-8 of the value. Over <see cref="Depth"/> sequential roundings independent errors add like a random walk, so the
/// typical (mean) error is about u sqrt(depth) of the typical magnitude, and even if they all lined up the worst element
/// errs by at most u depth of the largest magnitude. Both bounds carry a factor of 2 for the layer norms and the guidance
/// (v_null + s (v_cond - v_null), s = 2), which scale relative errors up. Native kernels (AVX512-BF16, AMX) and emulated
/// ones (AVX2) both round once per operation, so both must hold; a wrong kernel (e.g. libtorch 2.10's oneDNN convolution
/// with 3 output channels, off by 70 % of the signal) does not.
/// </summary>
internal sealed record Bf16Bound(int Depth)
{
    /// <summary>bf16's unit roundoff, 2^-8.</summary>
    public const double UnitRoundoff = 1.0 / 256;

    /// <summary>Roundings per transformer block on the longest path: norm, q|k|v, scores, softmax, weighted sum, output
    /// projection, residual, norm, two feed-forward products, activation, residual.</summary>
    public const int RoundingsPerBlock = 12;

    /// <summary>The image tokenizer decoder's head: embedding, pixel head, output convolution.</summary>
    public const int Convolutions = 3;

    public static int Blocks(int count) => RoundingsPerBlock * count;

    public static Bf16Bound ForDepth(int depth) => new(depth);

    public double MeanRelative => 2 * UnitRoundoff * Math.Sqrt(Depth);

    public double MaxRelative => 2 * UnitRoundoff * Depth;

    public void AssertClose(Tensor fp32, Tensor bf16, string what)
    {
        var reference = fp32.to(ScalarType.Float64);
        var diff = (bf16.to(ScalarType.Float64) - reference).abs();
        double mean = diff.mean().item<double>(), max = diff.max().item<double>();
        double typical = reference.abs().mean().item<double>(), largest = reference.abs().max().item<double>();
        Assert.True(mean <= MeanRelative * typical,
            $"{what}: bf16 mean |diff| {mean:g3} > {MeanRelative * typical:g3} (2 u sqrt({Depth}) x mean |fp32| {typical:g3})");
        Assert.True(max <= MaxRelative * largest,
            $"{what}: bf16 max |diff| {max:g3} > {MaxRelative * largest:g3} (2 u {Depth} x max |fp32| {largest:g3})");
    }
}
