using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using MassTransit;

namespace FlowTok.Grains.Jobs;

/// <summary>The commands that queue a job's items, one per item: <see cref="GenerateImage"/> (image i gets seed + i) or
/// <see cref="CaptionImage"/>, each with its tenant's weight, priority and the item's deadline.</summary>
public static class ItemCommands
{
    public static IReadOnlyList<GenerateImage> Generate(string jobId, JobSpec spec, DateTimeOffset deadline, IEnumerable<int> items) =>
        items.Select(i => new GenerateImage
        {
            JobId = jobId, Index = i, TenantId = spec.TenantId, Prompt = spec.Prompt!, Seed = spec.Seed + i,
            Steps = spec.Steps, GuidanceScale = spec.GuidanceScale, TextNoise = spec.TextNoise,
            TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = deadline, Previews = spec.Previews,
        }).ToList();

    public static IReadOnlyList<CaptionImage> Caption(string jobId, JobSpec spec, DateTimeOffset deadline, IEnumerable<int> items) =>
        items.Select(i => new CaptionImage
        {
            JobId = jobId, Index = i, TenantId = spec.TenantId, InputFileId = spec.InputFileId!,
            Steps = spec.Steps, GuidanceScale = spec.GuidanceScale,
            TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = deadline,
        }).ToList();

    /// <summary>Publishes the commands of <paramref name="items"/> as one batch.</summary>
    public static Task Publish(IPublishEndpoint bus, string jobId, JobSpec spec, DateTimeOffset deadline, IEnumerable<int> items,
        CancellationToken cancellationToken) =>
        spec.Kind == JobKind.Caption
            ? bus.PublishBatch(Caption(jobId, spec, deadline, items), cancellationToken)
            : bus.PublishBatch(Generate(jobId, spec, deadline, items), cancellationToken);
}
