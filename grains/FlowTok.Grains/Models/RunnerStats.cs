namespace FlowTok.Grains.Models;

/// <summary>
/// A replica's counters: sampler steps run (each one forward over the rows it held), row-steps (rows summed over steps),
/// items finished, busy time (the device's wall time starting rows, stepping and decoding: what metering splits among
/// tenants), most rows in one step, items dropped at their deadline, preemptions, and device-time charges to items that
/// joined the device after their deadline (never, by design: the check that expired work costs no device time).
/// </summary>
public sealed record RunnerStats(int QueueDepth, long Steps, long RowSteps, long Items, TimeSpan Busy, int MaxRows, long DeadlineDrops,
    long Preemptions = 0, long ExpiredStarts = 0)
{
    /// <summary>Mean rows per step (how full the device's forwards were).</summary>
    public double MeanBatchSize => Steps == 0 ? 0 : (double)RowSteps / Steps;
    public double ItemsPerBusySecond => Busy <= TimeSpan.Zero ? 0 : Items / Busy.TotalSeconds;
}

/// <summary>One tenant's use of a replica: device seconds (each step's measured time split among its rows), items, queue wait.</summary>
public sealed record TenantUsageRecord(string Tenant, double DeviceSeconds, long Items, double QueueWaitSeconds, long DeadlineDrops);
