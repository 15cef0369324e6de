using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>
/// The compute dtype a replica or command runs in: <c>fp32</c>, <c>bf16</c>, or <c>auto</c> (the default) — on a GPU bf16;
/// on a CPU bf16 where the CPU computes it natively (AVX512-BF16 or AMX with libtorch's AVX512 kernels) AND a measured
/// matrix product (<see cref="MatmulProbe"/>) runs at least <see cref="Bf16Advantage"/> times faster in bf16 than in fp32,
/// fp32 elsewhere. bf16 was 2.9x faster than fp32 on an AMD EPYC with AVX512-BF16, 1.65x slower on an Intel Xeon with
/// AVX512-BF16 but no AMX exposed, and several times slower where it is emulated (AVX2-only CPUs, never probed).
/// </summary>
public static class ComputePrecision
{
    public const string Auto = "auto";

    /// <summary>The names accepted by <see cref="Resolve"/> (configuration and command lines).</summary>
    public static readonly string[] Names = [Auto, "fp32", "bf16"];

    /// <summary>Resolves a configured name for <paramref name="device"/>; throws with the accepted names otherwise.</summary>
    public static ScalarType Resolve(string? name, Device device)
    {
        var key = (name ?? Auto).Trim();
        if (key.Length == 0 || key.Equals(Auto, StringComparison.OrdinalIgnoreCase))
            return device.type == DeviceType.CPU ? AutoOnCpu(CpuFeatures.Current, () => MatmulProbe.Current) : ScalarType.BFloat16;
        return TryParse(key, out var type) && type != ScalarType.Float16
            ? type
            : throw new ArgumentException($"unknown compute dtype '{name}': use one of {string.Join(", ", Names)}");
    }

    /// <summary>How much faster a bf16 matrix product must run than an fp32 one for <c>auto</c> to take bf16 on a CPU.</summary>
    public const double Bf16Advantage = 1.2;

    /// <summary><c>auto</c> on a CPU: fp32 unless bf16 is native and measured faster by <see cref="Bf16Advantage"/> (the probe
    /// runs only where bf16 is native).</summary>
    public static ScalarType AutoOnCpu(CpuFeatures cpu, Func<MatmulProbe> probe) =>
        cpu.NativeBf16 && probe() is var p && p.Bf16GflopS >= Bf16Advantage * p.Fp32GflopS ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>A floating-point type by name (fp32/float32, bf16/bfloat16, fp16/float16), case-insensitive: the one parser of
    /// dtype names (compute precision, checkpoint conversion, benchmarks); throws naming the accepted ones.</summary>
    public static ScalarType Parse(string name) =>
        TryParse(name, out var type) ? type : throw new ArgumentException($"unknown dtype '{name}': use fp32, bf16 or fp16");

    private static bool TryParse(string name, out ScalarType type)
    {
        (bool known, type) = name.Trim().ToLowerInvariant() switch
        {
            "fp32" or "float32" => (true, ScalarType.Float32),
            "bf16" or "bfloat16" => (true, ScalarType.BFloat16),
            "fp16" or "float16" => (true, ScalarType.Float16),
            _ => (false, ScalarType.Float32),
        };
        return known;
    }

    /// <summary>Short name for logs and tables.</summary>
    public static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        _ => type.ToString(),
    };

    /// <summary>"bf16 (auto: CPU avx512 with avx512_bf16, amx_bf16)" — what was chosen and why, for the start-up log.</summary>
    public static string Describe(string? name, Device device)
    {
        var chosen = Name(Resolve(name, device));
        bool auto = string.IsNullOrWhiteSpace(name) || name.Trim().Equals(Auto, StringComparison.OrdinalIgnoreCase);
        if (!auto) return chosen;
        if (device.type != DeviceType.CPU) return $"{chosen} (auto: {device.type})";
        var measured = CpuFeatures.Current.NativeBf16 ? $"; {MatmulProbe.Current}" : "";
        return $"{chosen} (auto: CPU {CpuFeatures.Current}{measured})";
    }
}
