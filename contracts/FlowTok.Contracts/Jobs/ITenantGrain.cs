namespace FlowTok.Contracts.Jobs;

/// <summary>Admission result: <see cref="Accepted"/>, or why not and when to retry.</summary>
[GenerateSerializer, Immutable]
public sealed record Admission
{
    [Id(0)] public required bool Accepted { get; init; }
    [Id(1)] public string? Reason { get; init; }
    [Id(2)] public TimeSpan RetryAfter { get; init; }
    /// <summary>"concurrency" (too many jobs running), "quota" (quota used up) or "queue_full" (platform queue bound).</summary>
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
}

/// <summary>Per-tenant concurrency and quota accounting (keyed by tenant id).</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Reserves a slot for job <paramref name="jobId"/> producing <paramref name="items"/> outputs. Idempotent per job.</summary>
    Task<Admission> TryStartJobAsync(string jobId, int items, TenantLimits limits);

    /// <summary>Releases the job's slot; <paramref name="itemsProduced"/> are charged to the quota (reserved items not produced are returned).</summary>
    Task FinishJobAsync(string jobId, int itemsProduced);

    Task<TenantUsage> GetUsageAsync();
}
