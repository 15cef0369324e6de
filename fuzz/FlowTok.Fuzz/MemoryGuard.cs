namespace FlowTok.Fuzz;

/// <summary>An input made the gateway take more memory than the fuzzer's limit: counted as an out-of-memory finding.</summary>
public sealed class OutOfMemoryFindingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs one input under a memory limit: the managed memory it allocated (all of it, not only what was live at once) and
/// the growth of the process's peak resident memory while it ran (managed and native: Skia's decoders allocate natively).
/// The kernel's peak (VmHWM) is reset before each input (Linux: /proc/self/clear_refs), so the peak is this input's.
/// An <see cref="OutOfMemoryException"/> (the heap cap fuzz/run sets) is the same finding.
/// </summary>
public sealed class MemoryGuard(long limitBytes)
{
    public const string LimitVariable = "FLOWTOK_FUZZ_MEMORY_MB";

    public long LimitBytes { get; } = limitBytes;

    public static MemoryGuard FromEnvironment() =>
        new((long.TryParse(Environment.GetEnvironmentVariable(LimitVariable), out long mb) && mb > 0 ? mb : 256) << 20);

    public void Run(IFuzzTarget target, byte[] input)
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        long resident = ProcStatus("VmRSS:"), allocated = GC.GetTotalAllocatedBytes();
        try
        {
            target.Run(input);
        }
        catch (OutOfMemoryException e)
        {
            throw new OutOfMemoryFindingException($"{target.Name}: ran out of memory ({e.Message})", e);
        }
        long allocatedNow = GC.GetTotalAllocatedBytes() - allocated, peakGrowth = ProcStatus("VmHWM:") - resident;
        if (allocatedNow > LimitBytes)
            throw new OutOfMemoryFindingException($"{target.Name}: one input allocated {allocatedNow >> 20} MB (limit {LimitBytes >> 20} MB)");
        if (peakGrowth > LimitBytes)
            throw new OutOfMemoryFindingException($"{target.Name}: resident memory grew by {peakGrowth >> 20} MB for one input (limit {LimitBytes >> 20} MB)");
    }

    /// <summary>A "kB" line of /proc/self/status, in bytes.</summary>
    private static long ProcStatus(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) << 10;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
