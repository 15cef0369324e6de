namespace FlowTok.Model.Nn;

/// <summary>
/// What the CPU offers libtorch: its instruction-set flags (from /proc/cpuinfo on Linux), narrowed by
/// <c>ATEN_CPU_CAPABILITY</c> when it holds libtorch to older kernels (then bf16 is emulated even on a CPU that has it).
/// </summary>
public sealed record CpuFeatures(bool Avx2, bool Avx512, bool Avx512Bf16, bool AmxBf16, string? AtenCapability)
{
    private static readonly Lazy<CpuFeatures> Detected = new(() => Detect(ReadFlags(), Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY")));

    public static CpuFeatures Current => Detected.Value;

    /// <summary>libtorch's kernel level: avx512, avx2 or default (the capability variable can only lower it).</summary>
    public string KernelLevel
    {
        get
        {
            string best = Avx512 ? "avx512" : Avx2 ? "avx2" : "default";
            return AtenCapability?.ToLowerInvariant() switch
            {
                "avx2" when Avx2 => "avx2",
                "default" => "default",
                _ => best,
            };
        }
    }

    /// <summary>bf16 matrix products run in hardware (AVX512-BF16 or AMX) with libtorch's AVX512 kernels.</summary>
    public bool NativeBf16 => (Avx512Bf16 || AmxBf16) && KernelLevel == "avx512";

    public static CpuFeatures Detect(IReadOnlySet<string> flags, string? atenCapability) => new(
        flags.Contains("avx2"), flags.Contains("avx512f"), flags.Contains("avx512_bf16"), flags.Contains("amx_bf16"),
        string.IsNullOrWhiteSpace(atenCapability) ? null : atenCapability.Trim());

    public override string ToString()
    {
        var extras = new List<string>();
        if (Avx512Bf16) extras.Add("avx512_bf16");
        if (AmxBf16) extras.Add("amx_bf16");
        var held = AtenCapability is null ? "" : $", held to {KernelLevel} by ATEN_CPU_CAPABILITY";
        return $"{KernelLevel}{(extras.Count > 0 ? " with " + string.Join(", ", extras) : "")}{held}";
    }

    private static HashSet<string> ReadFlags()
    {
        const string cpuinfo = "/proc/cpuinfo";
        try
        {
            if (!File.Exists(cpuinfo)) return [];
            var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? [] : [.. line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException)
        {
            return [];
        }
    }
}
