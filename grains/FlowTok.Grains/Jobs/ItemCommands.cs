using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using FlowTok.Grains.Consumers;
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
            TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = deadline, Previews = spec.Previews, Model = spec.Model,
        }).ToList();

    public static IReadOnlyList<CaptionImage> Caption(string jobId, JobSpec spec, DateTimeOffset deadline, IEnumerable<int> items) =>
        items.Select(i => new CaptionImage
        {
            JobId = jobId, Index = i, TenantId = spec.TenantId, InputFileId = spec.InputFileId!,
            Steps = spec.Steps, GuidanceScale = spec.GuidanceScale,
            TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = deadline, Model = spec.Model,
        }).ToList();

    /// <summary>Queues the commands of <paramref name="items"/> as one batch: sent to the work queue of the job's model
    /// (<see cref="WorkQueues"/>), so only that model's replicas take them; published when the job names no model.</summary>
    public static async Task Publish(IBus bus, string jobId, JobSpec spec, DateTimeOffset deadline, IEnumerable<int> items,
        CancellationToken cancellationToken)
    {
        bool caption = spec.Kind == JobKind.Caption;
        if (spec.Model is not { } model)
        {
            await (caption
                ? bus.PublishBatch(Caption(jobId, spec, deadline, items), cancellationToken)
                : bus.PublishBatch(Generate(jobId, spec, deadline, items), cancellationToken));
            return;
        }
        var queue = await bus.GetSendEndpoint(new Uri($"queue:{(caption ? WorkQueues.CaptionFor(model) : WorkQueues.GenerateFor(model))}"));
        await (caption
            ? queue.SendBatch(Caption(jobId, spec, deadline, items), cancellationToken)
            : queue.SendBatch(Generate(jobId, spec, deadline, items), cancellationToken));
    }
}
