using System.Text.Json;
using System.Text.Json.Serialization;
using FlowTok.Contracts.Jobs;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// A streamed <c>POST /v1/images/generations</c> (<c>stream: true</c>) in OpenAI's event shapes: an
/// <c>image_generation.partial_image</c> event per preview, as the job's items report them, and one
/// <c>image_generation.completed</c> event per image as it finishes (an image's previews always come before it; previews
/// that arrive after their image are dropped). A job that fails, is cancelled or outlasts the wait ends the stream with an
/// <c>error</c> event.
/// </summary>
public static class ImageStream
{
    /// <summary>Reads a finished image's bytes (null when it is missing from the result store).</summary>
    public delegate Task<byte[]?> ImageLoader(JobOutput output);

    public static async Task WriteAsync(Stream body, IJobGrain grain, JobSnapshot job, ImageLoader load, ImageEventShape shape,
        TimeSpan timeout, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        var sent = new HashSet<int>();
        int previewsSent = 0;
        try
        {
            while (true)
            {
                foreach (var preview in job.Spec.Previews > 0 ? await grain.GetPreviewsAsync(previewsSent) : [])
                {
                    if (!sent.Contains(preview.Index)) await WriteAsync(body, shape.Partial(preview), cancellationToken);
                    previewsSent = preview.Sequence;
                }
                foreach (var output in job.Outputs.Where(o => sent.Add(o.Index)).OrderBy(o => o.Index))
                {
                    if (await load(output) is not { } png)
                    {
                        await WriteAsync(body, Error($"image {output.Index} of job {job.JobId} is missing from the result store", "server_error", null), cancellationToken);
                        return;
                    }
                    await WriteAsync(body, shape.Completed(png), cancellationToken);
                }
                if (job.Status.IsTerminal())
                {
                    if (job.Status != JobStatus.Succeeded) await WriteAsync(body, Unfinished(job), cancellationToken);
                    return;
                }
                var left = until - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    await WriteAsync(body, Error($"the job did not finish in time; poll GET {Links.Job(job.JobId)} for its result", "timeout", "job_still_running"), cancellationToken);
                    return;
                }
                if (await JobEvents.NextAsync(body, grain, job, left < keepAlive ? left : keepAlive, cancellationToken) is not { } next) return;
                job = next;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the job runs on (its results stay downloadable by job id).
        }
    }

    private static string Unfinished(JobSnapshot job) => job.Status == JobStatus.Cancelled
        ? Error("the job was cancelled", "invalid_request_error", "job_cancelled")
        : Error($"the job failed: {JobFailures.Message(job)}", "server_error", JobFailures.Code(job));

    /// <summary>An error in OpenAI's shape, as the event the official clients raise as an API error.</summary>
    private static string Error(string message, string type, string? code) =>
        $"event: error\ndata: {JsonSerializer.Serialize(new { type = "error", error = new { message, type, code } })}\n\n";

    private static Task WriteAsync(Stream body, string text, CancellationToken cancellationToken) => JobEvents.WriteAsync(body, text, cancellationToken);
}

/// <summary>What every event of a streamed generation repeats: the image size and the settings OpenAI's events name. Images are
/// encoded as the request asked (<c>output_format</c>), previews too.</summary>
public sealed record ImageEventShape(int Size, string Quality, string OutputFormat, Func<byte[], byte[]> Encode)
{
    private string SizeText => $"{Size}x{Size}";

    public string Partial(JobPreview preview) => Event(new ImageEventJson("image_generation.partial_image", Convert.ToBase64String(Encode(preview.Png)),
        DateTimeOffset.UtcNow.ToUnixTimeSeconds(), SizeText, Quality, OutputFormat, preview.PartialIndex, null));

    /// <param name="image">already encoded</param>
    public string Completed(byte[] image) => Event(new ImageEventJson("image_generation.completed", Convert.ToBase64String(image),
        DateTimeOffset.UtcNow.ToUnixTimeSeconds(), SizeText, Quality, OutputFormat, null, Apis.ImageUsage.For(1)));

    private static string Event(ImageEventJson e) => $"event: {e.Type}\ndata: {JsonSerializer.Serialize(e, GatewayJson.Options)}\n\n";
}

/// <summary>OpenAI's <c>image_generation.partial_image</c> / <c>image_generation.completed</c> event data (the completed one
/// with the image's <c>usage</c>, counted like a plain response's). The images are opaque, of the model's native size.</summary>
public sealed record ImageEventJson(
    string Type,
    string B64Json,
    long CreatedAt,
    string Size,
    string Quality,
    string OutputFormat,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? PartialImageIndex,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Apis.ImageUsage? Usage)
{
    public string Background => "opaque";
}
