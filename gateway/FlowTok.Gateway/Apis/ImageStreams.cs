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
        var images = new Dictionary<int, (byte[] Image, string FileId)>();
        async Task<byte[]?> Load(JobOutput output)
        {
            var file = output.FileId is null ? null : await s.Files.GetAsync(tenantId, output.FileId);
            if (file is null) return null;
            images[output.Index] = (p.Output.Encode(file.Bytes), output.FileId!);
            if (images.Count == p.Count)
            {
                // Like a plain request: the encoded images, linked to the job's files only when those are what was asked (PNG).
                var ordered = images.OrderBy(i => i.Key).ToList();
                await s.OutputCache.SetAsync(tenantId, p.RequestHash, [.. ordered.Select(i => i.Value.Image)],
                    p.Output.Format == OutputFormat.Png ? [.. ordered.Select(i => i.Value.FileId)] : null);
            }
            return images[output.Index].Image;
        }
        var options = s.Options.Value;
        var aborted = s.Aborted;
        return Start(s, body => ImageStream.WriteAsync(body, s.Jobs.Job(job.JobId), job, Load, Shape(p),
            options.SyncTimeout, JobEvents.ClampKeepAlive(options.EventsKeepAlive), aborted));
    }

    private static ImageEventShape Shape(GenerationParameters p) =>
        new(p.Size, p.Quality, p.Output.Format.ToString().ToLowerInvariant(), p.Output.Encode);

    /// <summary>An output-cache hit: its images as completed events (no previews: nothing is sampled).</summary>
    public static PushStreamHttpResult Cached(GatewayServices s, GenerationParameters p, IReadOnlyList<byte[]> images)
    {
        var shape = Shape(p);
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
