using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>A job's durable state (grain storage "jobs"). Per-item progress is kept in memory only.</summary>
[GenerateSerializer]
public sealed class JobState
{
    [Id(0)] public JobSpec? Spec { get; set; }
    [Id(1)] public JobStatus Status { get; set; }
    [Id(2)] public List<JobOutput> Outputs { get; set; } = [];
    [Id(3)] public Dictionary<int, string> Failures { get; set; } = [];
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
    [Id(5)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(6)] public int Version { get; set; }
    [Id(7)] public string? Error { get; set; }

    /// <summary>The items were handed to the queue (stored with the job's next write after that).</summary>
    [Id(8)] public bool Queued { get; set; }

    /// <summary>The webhook of a finished job that names one: pending until delivered or given up.</summary>
    [Id(40)] public WebhookDelivery? Webhook { get; set; }
}
