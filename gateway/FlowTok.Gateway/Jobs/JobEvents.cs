using System.Text;
using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.ServiceDefaults.Resilience;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// A job's Server-Sent Events: the current state first, then an event per change (<c>progress</c>), a final
/// <c>completed</c>, <c>failed</c> or <c>cancelled</c> that ends the stream, and a <c>: keep-alive</c> comment when nothing
/// changed for a while. A generation job submitted with <c>partial_images</c> also gets a <c>preview</c> event per preview,
/// before the change that follows it. Stops when the client goes away.
/// </summary>
public static class JobEvents
{
    public const string ContentType = "text/event-stream";

    /// <summary>Keep-alive interval bounds: the long-poll under it must stay below Orleans' 30 s response timeout.</summary>
    public static TimeSpan ClampKeepAlive(TimeSpan keepAlive) =>
        keepAlive < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : keepAlive > TimeSpan.FromSeconds(25) ? TimeSpan.FromSeconds(25) : keepAlive;

    /// <summary>How often a queued job's position is looked at again (an event is sent when it moved).</summary>
    public static readonly TimeSpan QueuePositionRefresh = TimeSpan.FromSeconds(1);

    /// <param name="queuePosition">A queued job's position (<see cref="QueuePositions"/>), sent as <c>queue_position</c>; null: none.</param>
    public static async Task StreamAsync(Stream body, IJobGrain grain, JobSnapshot job, Func<JobSnapshot, JobJson> toJson,
        TimeSpan keepAlive, CancellationToken cancellationToken, Func<JobSnapshot, Task<int?>>? queuePosition = null)
    {
        keepAlive = ClampKeepAlive(keepAlive);
        int previewsSent = 0;
        try
        {
            while (true)
            {
                if (job.Spec.Previews > 0)
                    foreach (var preview in await grain.GetPreviewsAsync(previewsSent))
                    {
                        await WriteAsync(body, $"event: preview\ndata: {JsonSerializer.Serialize(JobPreviewJson.From(job.JobId, preview), GatewayJson.Options)}\n\n", cancellationToken);
                        previewsSent = preview.Sequence;
                    }
                int? position = queuePosition is null ? null : await queuePosition(job);
                await WriteAsync(body, Event(job, j => toJson(j) with { QueuePosition = position }), cancellationToken);
                if (job.Status.IsTerminal()) return;
                // While it waits, the position is looked at every QueuePositionRefresh; a move is sent like a change.
                var current = job;
                Func<Task<bool>>? moved = queuePosition is null || job.Status != JobStatus.Queued ? null : async () => await queuePosition!(current) != position;
                if (await NextAsync(body, grain, job, moved is null ? keepAlive : QueuePositionRefresh, cancellationToken, moved) is not { } next) return;
                job = next;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client disconnected: nothing more to send.
        }
    }

    /// <summary>
    /// Long-polls for the job's next change, writing a keep-alive comment whenever a poll ends without one (or the job's silo
    /// died: the stream goes on once the job is back on another silo). Null when the job is gone.
    /// </summary>
    /// <param name="moved">Asked after each poll without a change: true returns the same job (something else about it moved).</param>
    public static async Task<JobSnapshot?> NextAsync(Stream body, IJobGrain grain, JobSnapshot job, TimeSpan keepAlive, CancellationToken cancellationToken,
        Func<Task<bool>>? moved = null)
    {
        while (true)
        {
            JobSnapshot? next;
            try
            {
                next = await grain.WatchAsync(job.Version, keepAlive).WaitAsync(cancellationToken);
            }
            catch (Exception e) when (TransientFailures.IsTransient(e))
            {
                await WriteAsync(body, ": keep-alive\n\n", cancellationToken);
                await Task.Delay(TransientFailures.RetryDelay, cancellationToken);
                continue;
            }
            if (next is null || next.Version != job.Version) return next;
            if (moved is not null && await moved()) return job;
            await WriteAsync(body, ": keep-alive\n\n", cancellationToken);
        }
    }

    public static string EventName(JobStatus status) => status switch
    {
        JobStatus.Succeeded => "completed",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => "progress",
    };

    public static string Event(JobSnapshot job, Func<JobSnapshot, JobJson> toJson) =>
        $"event: {EventName(job.Status)}\ndata: {JsonSerializer.Serialize(toJson(job), GatewayJson.Options)}\n\n";

    public static async Task WriteAsync(Stream body, string text, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }
}

/// <summary>A job's <c>preview</c> event: item <c>index</c>'s <c>partial_image_index</c>-th preview after <c>step</c> of <c>steps</c>, a base64 PNG.</summary>
public sealed record JobPreviewJson(string JobId, int Index, int PartialImageIndex, int Step, int Steps, string B64Json)
{
    public static JobPreviewJson From(string jobId, JobPreview p) => new(jobId, p.Index, p.PartialIndex, p.Step, p.Steps, Convert.ToBase64String(p.Png));
}
