using System.Runtime.InteropServices;

namespace FlowTok.Grains.Models;

/// <summary>
/// How long libtorch's OpenMP threads spin before sleeping. libgomp's default spin keeps both cores busy between the
/// fine-grained parallel regions of a forward pass; in a serving process the gateway, Orleans and Redis threads need
/// those cycles too, and every time one of them preempts a spinning worker the whole parallel region stalls. A short
/// spin (measured: 20000) gives the platform ~25% more images/s on a 2-core CPU node. Must run before libtorch loads,
/// and an operator's GOMP_SPINCOUNT / OMP_WAIT_POLICY always wins.
/// </summary>
public static partial class OpenMpSettings
{
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const long DefaultServingSpinCount = 20_000;

    /// <summary>Sets GOMP_SPINCOUNT in the native environment unless the operator set it (or a wait policy). Returns the value in effect, or null.</summary>
    public static string? ApplyServingDefault(long spinCount = DefaultServingSpinCount)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var existing = Environment.GetEnvironmentVariable(SpinCountVariable);
        if (!string.IsNullOrEmpty(existing)) return existing;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"))) return null;
        // .NET keeps its own copy of the environment; libgomp reads the C library's, so set it there.
        var value = spinCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (setenv(SpinCountVariable, value, 0) != 0) return null;
        Environment.SetEnvironmentVariable(SpinCountVariable, value);
        return value;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
