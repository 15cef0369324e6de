using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Apis;

/// <summary>The event-stream answers of <c>POST /v1/images/generations</c> with <c>stream: true</c> (<see cref="ImageStream"/>).
/// Everything that can be refused (validation, admission) was answered as a problem before the stream starts.</summary>
public static class ImageStreams
{
    /// <summary>A submitted job, followed to its end (at most Gateway:SyncTimeout) and saved in the output cache like a plain request.</summary>
    public static PushStreamHttpResult Follow(GatewayServices s, GenerationParameters p, JobSnapshot job)
    {
        string tenantId = s.Tenant.Id;
        var images = new Dictionary<int, (byte[] Png, string FileId)>();
        async Task<byte[]?> Load(JobOutput output)
        {
            var file = output.FileId is null ? null : await s.Files.GetAsync(tenantId, output.FileId);
            if (file is not null) images[output.Index] = (file.Bytes, output.FileId!);
            if (images.Count == p.Count)
                await s.OutputCache.SetAsync(tenantId, p.RequestHash, [.. images.OrderBy(i => i.Key).Select(i => i.Value.Png)],
                    [.. images.OrderBy(i => i.Key).Select(i => i.Value.FileId)]);
            return file?.Bytes;
        }
        var options = s.Options.Value;
        var aborted = s.Aborted;
        return Start(s, body => ImageStream.WriteAsync(body, s.Jobs.Job(job.JobId), job, Load, new ImageEventShape(p.Size),
            options.SyncTimeout, JobEvents.ClampKeepAlive(options.EventsKeepAlive), aborted));
    }

    /// <summary>An output-cache hit: its images as completed events (no previews: nothing is sampled).</summary>
    public static PushStreamHttpResult Cached(GatewayServices s, GenerationParameters p, IReadOnlyList<byte[]> images)
    {
        var shape = new ImageEventShape(p.Size);
        var aborted = s.Aborted;
        return Start(s, async body =>
        {
            foreach (var png in images) await JobEvents.WriteAsync(body, shape.Completed(png), aborted);
        });
    }

    private static PushStreamHttpResult Start(GatewayServices s, Func<Stream, Task> write)
    {
        s.Http.Response.Headers.CacheControl = "no-cache";
        s.Http.Response.Headers["X-Accel-Buffering"] = "no";
        s.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return TypedResults.Stream(write, JobEvents.ContentType);
    }
}
