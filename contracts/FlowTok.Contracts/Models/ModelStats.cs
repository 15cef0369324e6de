namespace FlowTok.Contracts.Models;

/// <summary>A model grain's counters since activation.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelStats
{
    [Id(0)] public required string Device { get; init; }
    [Id(1)] public required ModelDescriptor Model { get; init; }
    [Id(2)] public int QueueDepth { get; init; }
    [Id(3)] public long Batches { get; init; }
    [Id(4)] public long Items { get; init; }
    [Id(5)] public double MeanBatchSize { get; init; }
    [Id(6)] public int MaxBatchSizeSeen { get; init; }
    /// <summary>Items per second of busy inference time.</summary>
    [Id(7)] public double ItemsPerBusySecond { get; init; }
    [Id(8)] public long PromptCacheHits { get; init; }
    [Id(9)] public long PromptCacheMisses { get; init; }
    /// <summary>Rows in the device's batch now, of at most <see cref="MaxBatchSize"/>.</summary>
    [Id(10)] public int CurrentRows { get; init; }
    [Id(11)] public int MaxBatchSize { get; init; }
    /// <summary>Device seconds the queued items are expected to cost.</summary>
    [Id(12)] public double QueuedDeviceSeconds { get; init; }
}
