using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Scheduling;
using FlowTok.Storage;

namespace FlowTok.Grains.Models;

/// <summary>Reports sampler progress of one item: step k of N.</summary>
public delegate void ItemProgress(int step, int steps);

/// <summary>Reports a preview of one item: its 0-based index among the item's previews, after step k of N, as a PNG.</summary>
public delegate void ItemPreview(int index, int step, int steps, byte[] png);

/// <summary>Whose work an item is and how urgent: the scheduler's view of its origin. Weight divides device time among tenants.</summary>
public sealed record WorkOrigin(string Tenant, double Weight = 1, WorkPriority Priority = WorkPriority.Interactive, DateTimeOffset? Deadline = null)
{
    public static WorkOrigin Anonymous { get; } = new("anonymous");
}

/// <summary>A generated image (PNG) and, when the prompt was not cached, its encoding for the prompt cache.</summary>
public sealed record GeneratedImage(byte[] Png, PromptEncodingRecord? NewPromptEncoding);

/// <summary>An item's deadline passed before it reached a device: it was dropped without using one. (Serializable: it crosses
/// the model grain's call back to the consumer, which fails the item with its message.)</summary>
[GenerateSerializer]
public sealed class DeadlineExceededException : TimeoutException
{
    public DeadlineExceededException()
    {
    }

    public DeadlineExceededException(string message) : base(message)
    {
    }
}

/// <summary>One image or caption from its arrival at a replica to its result: its row, its origin, and how it ends.</summary>
internal abstract class WorkItem(string jobId, int index, StepRow row, WorkOrigin origin, ItemProgress? progress, ItemPreview? preview = null)
{
    public string JobId { get; } = jobId;
    public int Index { get; } = index;
    public StepRow Row { get; } = row;
    public WorkOrigin Origin { get; } = origin;
    public ItemProgress? Progress { get; } = progress;
    public ItemPreview? Preview { get; } = preview;
    /// <summary>The scheduler's handle once queued.</summary>
    public ScheduledWork<WorkItem>? Scheduled { get; set; }
    /// <summary>Its row has started on the device (a preempted item resumes with its state instead of starting again).</summary>
    public bool Started { get; set; }
    /// <summary>When its row first joined the device (never after <see cref="WorkOrigin.Deadline"/>).</summary>
    public DateTimeOffset? JoinedAt { get; set; }
    /// <summary>Its span on the replica (<see cref="ItemTracing"/>) while it is here; null when not traced.</summary>
    public Activity? Span { get; set; }

    public abstract string Kind { get; }

    public abstract void Complete(object output);

    public abstract void Cancel();

    public abstract void Fail(Exception error);
}

internal sealed class WorkItem<T>(string jobId, int index, StepRow row, WorkOrigin origin, ItemProgress? progress, ItemPreview? preview = null)
    : WorkItem(jobId, index, row, origin, progress, preview)
{
    public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override string Kind => Row.Kind == RowKind.Generate ? "generation" : "caption";

    public override void Complete(object output) => Done.TrySetResult((T)output);

    public override void Cancel() => Done.TrySetCanceled();

    public override void Fail(Exception error) => Done.TrySetException(error);
}
