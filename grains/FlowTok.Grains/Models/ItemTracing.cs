using System.Diagnostics;
using FlowTok.Contracts.Models;
using FlowTok.Infrastructure.Observability;

namespace FlowTok.Grains.Models;

/// <summary>
/// The spans of one item on a replica, in the trace of the request that queued it: <c>flowtok.replica.item</c> from its
/// arrival to its end, with children for its queue wait, input encoding, each sampler step and decoding. The device thread
/// records them after the fact with their measured times, under the context the item carries (never
/// <see cref="Activity.Current"/>, which on that thread belongs to nobody). Nothing is recorded when no one listens.
/// </summary>
internal static class ItemTracing
{
    public const string ItemSpan = "flowtok.replica.item";
    public const string QueueWait = "flowtok.queue_wait";
    public const string Encode = "flowtok.encode";
    public const string Step = "flowtok.step";
    public const string Decode = "flowtok.decode";

    /// <summary>Starts the item's span under the caller's current span (the model grain call).</summary>
    public static void Begin(WorkItem item, string device, ModelDescriptor? model)
    {
        if (Activity.Current is not { } caller) return;
        item.Span = PlatformTracing.StartDetached(ItemSpan, caller.Context)?
            .SetTag(PlatformTracing.Tenant, item.Origin.Tenant)
            .SetTag(PlatformTracing.Job, item.JobId)
            .SetTag(PlatformTracing.Item, item.Index)
            .SetTag(PlatformTracing.Model, model?.Name)
            .SetTag(PlatformTracing.ModelVersion, model?.Version)
            .SetTag(PlatformTracing.Device, device);
    }

    /// <summary>A finished phase of the item (shared with <paramref name="rows"/> rows of one forward).</summary>
    public static void Phase(WorkItem item, string name, DateTimeOffset start, DateTimeOffset end, int rows, int? step = null)
    {
        if (item.Span is not { } span) return;
        var phase = PlatformTracing.Record(name, span.Context, start, end);
        if (phase is null) return;
        phase.SetTag(PlatformTracing.Rows, rows);
        if (step is { } k) phase.SetTag(PlatformTracing.Step, k);
        phase.StopDetached();
    }

    /// <summary>Makes the item's span current on the device thread until disposed: what the item's callbacks send (progress
    /// and previews to its job) joins its trace instead of starting traces of its own.</summary>
    public static CurrentSpan Within(WorkItem item) => new(item.Span);

    public readonly struct CurrentSpan : IDisposable
    {
        private readonly Activity? previous;
        private readonly bool set;

        public CurrentSpan(Activity? span)
        {
            if (span is null) return;
            previous = Activity.Current;
            Activity.Current = span;
            set = true;
        }

        public void Dispose()
        {
            if (set) Activity.Current = previous;
        }
    }

    /// <summary>Ends the item's span with its outcome ("succeeded", "failed", "cancelled", "deadline").</summary>
    public static void End(WorkItem item, string outcome)
    {
        if (item.Span is not { } span) return;
        item.Span = null;
        span.SetTag(PlatformTracing.Outcome, outcome);
        if (outcome != "succeeded") span.SetStatus(ActivityStatusCode.Error, outcome);
        span.StopDetached();
    }
}
