using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>
/// The compute dtype a replica or command runs in: <c>fp32</c>, <c>bf16</c>, or <c>auto</c> (the default) — bf16 where
/// the device computes it natively (a CPU with AVX512-BF16 or AMX, a CUDA GPU), fp32 elsewhere. bf16 is about 2.9x faster
/// than fp32 on an AVX512-BF16 CPU and several times slower where it is emulated (AVX2-only CPUs), so <c>auto</c> never
/// picks it there.
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
            return device.type == DeviceType.CPU ? (CpuFeatures.Current.NativeBf16 ? ScalarType.BFloat16 : ScalarType.Float32) : ScalarType.BFloat16;
        return TryParse(key, out var type) && type != ScalarType.Float16
            ? type
            : throw new ArgumentException($"unknown compute dtype '{name}': use one of {string.Join(", ", Names)}");
    }

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
        return auto ? $"{chosen} (auto: {(device.type == DeviceType.CPU ? "CPU " + CpuFeatures.Current : device.type.ToString())})" : chosen;
    }
}
