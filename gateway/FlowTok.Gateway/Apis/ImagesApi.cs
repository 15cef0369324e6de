using System.Text.Json.Serialization;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>Synchronous image routes: OpenAI-compatible generations (output-cached) and captions.</summary>
public static class ImagesApi
{
    /// <summary>A prompt is at most 1000 characters; anything near this is not a generation request.</summary>
    public const long MaxGenerationBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/images").WithTags("Images");

        api.MapPost("/generations", CreateImages)
            .WithSummary("Generate images from a prompt (OpenAI-compatible)")
            .Accepts<GenerationRequest>("application/json")
            .Produces(200, contentType: JobEvents.ContentType)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415).ProducesProblem(429)
            .ProducesProblem(500).ProducesProblem(503).ProducesProblem(504);
        api.MapPost("/captions", CreateCaption)
            .WithSummary("Caption an image (multipart file 'image' or JSON base64)")
            .Accepts<CaptionRequest>("application/json", "multipart/form-data")
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415).ProducesProblem(429)
            .ProducesProblem(500).ProducesProblem(503).ProducesProblem(504);

        return app;
    }

    public static async Task<Results<Ok<ImagesResponse>, PushStreamHttpResult, ProblemHttpResult>> CreateImages([AsParameters] GatewayServices s)
    {
        var body = await JsonBody.ReadAsync<GenerationRequest>(s.Http.Request, MaxGenerationBodyBytes, s.Aborted);
        if (body.Value is null) return body.Problem!;
        var (p, invalid) = await JobSpecs.ValidateGenerationAsync(s, body.Value);
        if (p is null) return invalid!;
        string tenantId = s.Tenant.Id;

        var cached = await s.OutputCache.GetAsync(tenantId, p.RequestHash);
        s.Metrics.RecordOutputCacheLookup(hit: cached is { Count: > 0 });
        if (cached is { Count: > 0 })
        {
            s.Http.Response.Headers[GatewayHeaders.Cache] = "hit";
            for (int i = 0; i < cached.Count; i++) s.Metrics.RecordItem("generation", "cached");
            if (p.Stream) return ImageStreams.Cached(s, p, cached);
            var cachedFiles = p.ResponseFormat == ResponseFormat.Url ? await CachedOutputFiles.ForAsync(s, p.RequestHash, cached, p.Output.ContentType) : null;
            return TypedResults.Ok(ImagesResponse.Create(s, p, cached, [.. cached.Select((_, i) => p.Seed + i)], cachedFiles));
        }
        s.Http.Response.Headers[GatewayHeaders.Cache] = "miss";

        // Previews only for a stream: nobody would see them otherwise.
        var spec = JobSpecs.Generation(tenantId, p) with { Previews = p.Stream ? p.PartialImages : 0 };
        var submission = await s.Jobs.SubmitAsync(s.Http, Interactive(spec, p.Scheduling, s), s.Tenant, s.IdempotencyKey);
        if (submission.Job is null) return submission.Problem!;
        s.Http.Response.Headers[GatewayHeaders.JobId] = submission.Job.JobId;
        if (p.Stream) return ImageStreams.Follow(s, p, submission.Job);
        var job = await s.Jobs.WaitAsync(submission.Job, s.Options.Value.SyncTimeout, s.Aborted);
        if (JobSubmitter.ProblemFor(s.Http, job) is { } unfinished) return unfinished;

        var outputs = job.Outputs.OrderBy(o => o.Index).ToList();
        var images = new List<byte[]>(outputs.Count);
        foreach (var output in outputs)
        {
            var file = output.FileId is null ? null : await s.Files.GetAsync(tenantId, output.FileId);
            if (file is null)
                return Problems.Create(500, $"image {output.Index} of job {job.JobId} is missing from the result store", "Result missing",
                    new Dictionary<string, object?> { ["job_id"] = job.JobId });
            images.Add(p.Output.Encode(file.Bytes));
        }
        IReadOnlyList<string>? fileIds = null;
        if (p.Output.Format == OutputFormat.Png) fileIds = [.. outputs.Select(o => o.FileId!)];
        await s.OutputCache.SetAsync(tenantId, p.RequestHash, images, fileIds);
        // JPEG and WebP are not the job's files: links to them are stored (and recorded for cache hits) as for a hit.
        if (fileIds is null && p.ResponseFormat == ResponseFormat.Url) fileIds = await CachedOutputFiles.ForAsync(s, p.RequestHash, images, p.Output.ContentType);
        return TypedResults.Ok(ImagesResponse.Create(s, p, images, [.. outputs.Select(o => o.Seed)], fileIds));
    }

    /// <summary>A synchronous request is interactive work unless it says otherwise, and work not started before its timeout
    /// (at most the synchronous wait) is dropped.</summary>
    internal static JobSpec Interactive(JobSpec spec, WorkScheduling scheduling, GatewayServices s) =>
        scheduling.ApplyTo(spec, JobPriority.Interactive, DateTimeOffset.UtcNow, s.Options.Value.SyncTimeout);

    public static async Task<Results<Ok<CaptionResponse>, ProblemHttpResult>> CreateCaption([AsParameters] GatewayServices s)
    {
        var (input, invalid) = await CaptionInputs.ReadAsync(s.Http.Request, s.Aborted);
        if (input is null) return invalid!;
        if (input.Model is not null && (await CaptionJobs.CheckModelAsync(s, input.Model)).Problem is { } unknown) return unknown;
        var (job, refused) = await CaptionJobs.SubmitAsync(s, input, input.Model);
        if (job is null) return refused!;
        var (caption, unfinished) = await CaptionJobs.WaitAsync(s, job);
        if (caption is null) return unfinished!;
        return TypedResults.Ok(new CaptionResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), caption, job.JobId));
    }
}

/// <summary>OpenAI's images response (with the settings used and the tokens counted), plus the seed of each image.</summary>
public sealed record ImagesResponse(
    long Created, IReadOnlyList<ImageData> Data, string Background, string OutputFormat, string Quality, string Size, ImageUsage Usage)
{
    /// <summary>b64_json: the bytes inline. url: download links to <paramref name="fileIds"/> (required then).</summary>
    public static ImagesResponse Create(GatewayServices s, GenerationParameters p, IReadOnlyList<byte[]> images,
        IReadOnlyList<long> seeds, IReadOnlyList<string>? fileIds)
    {
        var data = new List<ImageData>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            if (p.ResponseFormat == ResponseFormat.B64Json)
            {
                data.Add(new ImageData(Convert.ToBase64String(images[i]), null, p.Prompt, seeds[i]));
                continue;
            }
            data.Add(new ImageData(null, s.FileUrl(fileIds![i]), p.Prompt, seeds[i]));
        }
        return new ImagesResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data, "opaque", p.Output.Format.ToString().ToLowerInvariant(),
            p.Quality, $"{p.Size}x{p.Size}", ImageUsage.For(images.Count));
    }
}

public sealed record ImageData(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? B64Json,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    string RevisedPrompt,
    long Seed);

/// <summary>
/// OpenAI's <c>usage</c>, counted as FlowTok works: every prompt is read as CLIP's full context of
/// <see cref="TextTokens"/> text tokens (padded or cut), and every image is made as <see cref="TokensPerImage"/> 1D image
/// tokens (the image tokenizer's latent tokens), whatever the prompt's length. Input images: none.
/// </summary>
public sealed record ImageUsage(int InputTokens, int OutputTokens, int TotalTokens, ImageInputTokens InputTokensDetails)
{
    public const int TextTokens = 77, TokensPerImage = 77;

    public static ImageUsage For(int images) =>
        new(TextTokens, TokensPerImage * images, TextTokens + TokensPerImage * images, new ImageInputTokens(TextTokens, 0));
}

public sealed record ImageInputTokens(int TextTokens, int ImageTokens);

public sealed record CaptionResponse(long Created, string Caption, string JobId);
