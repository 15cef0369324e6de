using System.Text;
using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Cluster;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// A job's Server-Sent Events: the current state first, then an event per change (<c>progress</c>), a final
/// <c>completed</c>, <c>failed</c> or <c>cancelled</c> that ends the stream, and a <c>: keep-alive</c> comment when nothing
/// changed for a while. Stops when the client goes away.
/// </summary>
public static class JobEvents
{
    public const string ContentType = "text/event-stream";

    /// <summary>Keep-alive interval bounds: the long-poll under it must stay below Orleans' 30 s response timeout.</summary>
    public static TimeSpan ClampKeepAlive(TimeSpan keepAlive) =>
        keepAlive < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : keepAlive > TimeSpan.FromSeconds(25) ? TimeSpan.FromSeconds(25) : keepAlive;

    public static async Task StreamAsync(Stream body, IRequestGrain grain, JobSnapshot job, Func<JobSnapshot, JobJson> toJson,
        TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        keepAlive = ClampKeepAlive(keepAlive);
        try
        {
            await WriteAsync(body, Event(job, toJson), cancellationToken);
            while (!job.Status.IsTerminal())
            {
                JobSnapshot? next;
                try
                {
                    next = await grain.WatchAsync(job.Version, keepAlive).WaitAsync(cancellationToken);
                }
                catch (Exception e) when (TransientFailures.IsTransient(e))
                {
                    // The job's silo died or is stopping; the stream goes on once the job is back on another silo.
                    await WriteAsync(body, ": keep-alive\n\n", cancellationToken);
                    await Task.Delay(TransientFailures.RetryDelay, cancellationToken);
                    continue;
                }
                if (next is null) return;
                if (next.Version == job.Version)
                {
                    await WriteAsync(body, ": keep-alive\n\n", cancellationToken);
                    continue;
                }
                job = next;
                await WriteAsync(body, Event(job, toJson), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client disconnected: nothing more to send.
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

    private static async Task WriteAsync(Stream body, string text, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }
}
