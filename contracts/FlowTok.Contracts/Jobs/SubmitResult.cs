namespace FlowTok.Contracts.Jobs;

/// <summary>The accepted job, or why it was not accepted (<see cref="Rejection"/>, e.g. 429 with a retry delay).</summary>
[GenerateSerializer, Immutable]
public sealed record SubmitResult
{
    [Id(0)] public JobSnapshot? Job { get; init; }
    [Id(1)] public Admission? Rejection { get; init; }

    public bool Accepted => Job is not null;
}

/// <summary>A tenant's limits as configured, handed to its grain with each job.</summary>
[GenerateSerializer, Immutable]
public sealed record TenantLimits
{
    [Id(0)] public int MaxConcurrentJobs { get; init; } = 16;
    /// <summary>Outputs the tenant may produce in total; 0 = unlimited.</summary>
    [Id(1)] public long ItemQuota { get; init; }
    /// <summary>The tenant's weight: its share of device time and of the platform queue relative to other tenants (default 1).</summary>
    [Id(2)] public double Weight { get; init; } = 1;
    /// <summary>Device seconds the tenant may use in total (as metered by the replicas); 0 = unlimited. A tenant at or past
    /// it is refused new work (code <c>insufficient_quota</c>); work already admitted finishes.</summary>
    [Id(3)] public double DeviceSecondsQuota { get; init; }
}
