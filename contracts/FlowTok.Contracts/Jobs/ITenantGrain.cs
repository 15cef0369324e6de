namespace FlowTok.Contracts.Jobs;

/// <summary>Admission result: <see cref="Accepted"/>, or why not and when to retry.</summary>
[GenerateSerializer, Immutable]
public sealed record Admission
{
    [Id(0)] public required bool Accepted { get; init; }
    [Id(1)] public string? Reason { get; init; }
    [Id(2)] public TimeSpan RetryAfter { get; init; }
    /// <summary>"concurrency" (too many jobs running), "quota" (output quota used up), "insufficient_quota" (device-seconds
    /// quota used up) or "queue_full" (platform queue bound).</summary>
    [Id(3)] public string? Code { get; init; }

    public static Admission Yes { get; } = new() { Accepted = true };
}

[GenerateSerializer, Immutable]
public sealed record TenantUsage
{
    [Id(0)] public int ActiveJobs { get; init; }
    [Id(1)] public long ImagesUsed { get; init; }
    [Id(2)] public long ImageQuota { get; init; }
    [Id(3)] public int MaxConcurrentJobs { get; init; }
    /// <summary>Device seconds its items used (each sampler step's measured time split among the rows it held).</summary>
    [Id(4)] public double DeviceSeconds { get; init; }
    /// <summary>Items that ran on a device (succeeded), and the seconds they waited in replicas' schedulers in all.</summary>
    [Id(5)] public long ItemsRun { get; init; }
    [Id(6)] public double QueueWaitSeconds { get; init; }
    /// <summary>Items dropped because their deadline passed before they reached a device.</summary>
    [Id(7)] public long DeadlineDrops { get; init; }
}

/// <summary>Device use a model replica measured for one tenant since its last report.</summary>
[GenerateSerializer, Immutable]
public sealed record MeteredUsage
{
    [Id(0)] public double DeviceSeconds { get; init; }
    [Id(1)] public long ItemsRun { get; init; }
    [Id(2)] public double QueueWaitSeconds { get; init; }
    [Id(3)] public long DeadlineDrops { get; init; }
}

/// <summary>Per-tenant concurrency and quota accounting (keyed by tenant id).</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Reserves a slot for job <paramref name="jobId"/> producing <paramref name="items"/> outputs. Idempotent per job.</summary>
    Task<Admission> TryStartJobAsync(string jobId, int items, TenantLimits limits);

    /// <summary>Releases the job's slot; <paramref name="itemsProduced"/> are charged to the quota (reserved items not produced are returned).</summary>
    Task FinishJobAsync(string jobId, int itemsProduced);

    Task<TenantUsage> GetUsageAsync();

    /// <summary>Adds device use measured by a model replica (reported every few seconds).</summary>
    Task RecordUsageAsync(MeteredUsage usage);
}
