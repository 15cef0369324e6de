namespace FlowTok.Contracts.Jobs;

/// <summary>A job as its owner sees it. <see cref="Version"/> grows with every change (progress, outputs, status).</summary>
[GenerateSerializer, Immutable]
public sealed record JobSnapshot
{
    [Id(0)] public required string JobId { get; init; }
    [Id(1)] public required JobSpec Spec { get; init; }
    [Id(2)] public required JobStatus Status { get; init; }
    [Id(3)] public required IReadOnlyList<JobOutput> Outputs { get; init; }
    /// <summary>Sampler steps finished, summed over the job's items; <see cref="TotalSteps"/> = items x steps.</summary>
    [Id(4)] public int StepsDone { get; init; }
    [Id(5)] public int TotalSteps { get; init; }
    [Id(6)] public string? Error { get; init; }
    [Id(7)] public DateTimeOffset CreatedAt { get; init; }
    [Id(8)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(9)] public int Version { get; init; }
    /// <summary>Failed items: index -> a code of <see cref="ItemFailures"/> (never an exception's text).</summary>
    [Id(10)] public IReadOnlyDictionary<int, string> Failures { get; init; } = new Dictionary<int, string>();

    public string TenantId => Spec.TenantId;
}
