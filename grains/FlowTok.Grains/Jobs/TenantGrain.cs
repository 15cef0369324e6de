using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

[GenerateSerializer]
public sealed class TenantState
{
    /// <summary>Running jobs and the items each reserved against the quota.</summary>
    [Id(0)] public Dictionary<string, int> Active { get; set; } = [];
    [Id(1)] public long ItemsUsed { get; set; }
    [Id(2)] public double DeviceSeconds { get; set; }
    [Id(3)] public long ItemsRun { get; set; }
    [Id(4)] public double QueueWaitSeconds { get; set; }
    [Id(5)] public long DeadlineDrops { get; set; }
}

/// <summary>
/// One tenant's accounting: how many jobs run at once and how many outputs it produced against its quota. A job
/// reserves its items when admitted and is charged only what it produced when it ends.
/// </summary>
public sealed class TenantGrain([PersistentState("tenant", StorageNames.Tenants)] IPersistentState<TenantState> state)
    : Grain, ITenantGrain
{
    public static readonly TimeSpan ConcurrencyRetryAfter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan QuotaRetryAfter = TimeSpan.FromHours(1);

    private TenantState Tenant => state.State;
    private int limitConcurrent;
    private long limitQuota;

    public async Task<Admission> TryStartJobAsync(string jobId, int items, TenantLimits limits)
    {
        (limitConcurrent, limitQuota) = (limits.MaxConcurrentJobs, limits.ItemQuota);
        if (Tenant.Active.ContainsKey(jobId)) return Admission.Yes;
        // Checked first: waiting for a running job to end would not help.
        if (limits.DeviceSecondsQuota > 0 && Tenant.DeviceSeconds >= limits.DeviceSecondsQuota)
            return new Admission
            {
                Accepted = false, Code = "insufficient_quota", RetryAfter = QuotaRetryAfter,
                Reason = $"the tenant used its quota of {limits.DeviceSecondsQuota:0.###} device seconds ({Tenant.DeviceSeconds:0.###} used)",
            };
        if (Tenant.Active.Count >= limits.MaxConcurrentJobs)
            return new Admission
            {
                Accepted = false, Code = "concurrency", RetryAfter = ConcurrencyRetryAfter,
                Reason = $"the tenant already runs {Tenant.Active.Count} jobs (limit {limits.MaxConcurrentJobs})",
            };
        long committed = Tenant.ItemsUsed + Tenant.Active.Values.Sum();
        if (limits.ItemQuota > 0 && committed + items > limits.ItemQuota)
            return new Admission
            {
                Accepted = false, Code = "quota", RetryAfter = QuotaRetryAfter,
                Reason = $"the tenant's quota of {limits.ItemQuota} outputs would be exceeded ({committed} used or reserved, {items} asked)",
            };
        Tenant.Active[jobId] = items;
        await Write();
        return Admission.Yes;
    }

    public async Task FinishJobAsync(string jobId, int itemsProduced)
    {
        if (!Tenant.Active.Remove(jobId)) return;
        Tenant.ItemsUsed += itemsProduced;
        await Write();
    }

    /// <summary>A failed write (Redis restarting) leaves memory ahead of storage: the activation goes, and the caller's
    /// retry finds the stored state again.</summary>
    private async Task Write()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<TenantUsage> GetUsageAsync() => Task.FromResult(new TenantUsage
    {
        ActiveJobs = Tenant.Active.Count,
        ImagesUsed = Tenant.ItemsUsed,
        ImageQuota = limitQuota,
        MaxConcurrentJobs = limitConcurrent,
        DeviceSeconds = Tenant.DeviceSeconds,
        ItemsRun = Tenant.ItemsRun,
        QueueWaitSeconds = Tenant.QueueWaitSeconds,
        DeadlineDrops = Tenant.DeadlineDrops,
    });

    public async Task RecordUsageAsync(MeteredUsage usage)
    {
        Tenant.DeviceSeconds += usage.DeviceSeconds;
        Tenant.ItemsRun += usage.ItemsRun;
        Tenant.QueueWaitSeconds += usage.QueueWaitSeconds;
        Tenant.DeadlineDrops += usage.DeadlineDrops;
        await Write();
    }
}
