using FlowTok.Model.Nn;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Nn;

public sealed class ComputePrecisionTests
{
    private static readonly HashSet<string> Avx2Only = ["sse4_2", "avx", "avx2", "fma"];
    private static readonly HashSet<string> Zen4 = [.. Avx2Only, "avx512f", "avx512bw", "avx512_bf16", "avx512_vnni"];
    private static readonly HashSet<string> SapphireRapids = [.. Avx2Only, "avx512f", "amx_bf16", "amx_tile"];

    [Fact]
    public void NativeBf16NeedsAvx512Bf16OrAmxAndLibtorchsAvx512Kernels()
    {
        Assert.False(CpuFeatures.Detect(Avx2Only, null).NativeBf16);
        Assert.True(CpuFeatures.Detect(Zen4, null).NativeBf16);
        Assert.True(CpuFeatures.Detect(SapphireRapids, null).NativeBf16);
        Assert.False(CpuFeatures.Detect(new HashSet<string>([.. Avx2Only, "avx512f"]), null).NativeBf16);
        // Held to the AVX2 kernels, bf16 is emulated even on a CPU that has it.
        var held = CpuFeatures.Detect(Zen4, "avx2");
        Assert.Equal("avx2", held.KernelLevel);
        Assert.False(held.NativeBf16);
        Assert.Contains("held to avx2", held.ToString());
        Assert.Equal("avx512", CpuFeatures.Detect(Zen4, "AVX512").KernelLevel);
    }

    [Fact]
    public void AutoTakesBf16OnlyWhereItIsNativeAndMeasuredFaster()
    {
        int probes = 0;
        MatmulProbe Probe(double fp32, double bf16) { probes++; return new MatmulProbe(fp32, bf16); }
        // AMD EPYC (Zen 4): bf16 about 4x fp32 -> bf16.
        Assert.Equal(ScalarType.BFloat16, ComputePrecision.AutoOnCpu(CpuFeatures.Detect(Zen4, null), () => Probe(176, 700)));
        // Intel Xeon with AVX512-BF16 but no AMX exposed: bf16 slower -> fp32.
        Assert.Equal(ScalarType.Float32, ComputePrecision.AutoOnCpu(CpuFeatures.Detect(Zen4, null), () => Probe(303, 166)));
        // Barely faster is not worth bf16's rounding.
        Assert.Equal(ScalarType.Float32, ComputePrecision.AutoOnCpu(CpuFeatures.Detect(SapphireRapids, null), () => Probe(300, 330)));
        Assert.Equal(3, probes);
        // Emulated bf16 (AVX2-only, or held to AVX2 kernels) is never measured, never taken.
        Assert.Equal(ScalarType.Float32, ComputePrecision.AutoOnCpu(CpuFeatures.Detect(Avx2Only, null), () => Probe(100, 1000)));
        Assert.Equal(ScalarType.Float32, ComputePrecision.AutoOnCpu(CpuFeatures.Detect(Zen4, "avx2"), () => Probe(100, 1000)));
        Assert.Equal(3, probes);
    }

    [Fact]
    public void AutoFollowsTheCpuAndExplicitNamesWin()
    {
        var expected = ComputePrecision.AutoOnCpu(CpuFeatures.Current, () => MatmulProbe.Current);
        Assert.Equal(expected, ComputePrecision.Resolve("auto", CPU));
        Assert.Equal(expected, ComputePrecision.Resolve(null, CPU));
        Assert.Equal(ScalarType.Float32, ComputePrecision.Resolve("fp32", CPU));
        Assert.Equal(ScalarType.BFloat16, ComputePrecision.Resolve("BF16", CPU));
        Assert.StartsWith(ComputePrecision.Name(expected) + " (auto: CPU ", ComputePrecision.Describe("auto", CPU));
        var error = Assert.Throws<ArgumentException>(() => ComputePrecision.Resolve("fp64", CPU));
        Assert.Contains("auto, fp32, bf16", error.Message);
    }
}
