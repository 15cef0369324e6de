using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using FlowTok.Storage;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Apis;

/// <summary>Asynchronous jobs: submit, read, cancel, and follow as Server-Sent Events. Another tenant's job is 404, like a missing one.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/jobs").WithTags("Jobs");

        api.MapPost("/", CreateJob)
            .WithSummary("Submit a generation or caption job")
            .Accepts<JobRequest>("application/json")
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(409).ProducesProblem(413).ProducesProblem(415)
            .ProducesProblem(429).ProducesProblem(503);
        api.MapGet("/", JobHistoryApi.ListJobs)
            .WithSummary("The tenant's recent jobs, newest first, with their settings and results (paginated)")
            .ProducesProblem(400).ProducesProblem(401);
        api.MapGet("/{id}", GetJob).WithSummary("A job's status, progress and results").ProducesProblem(404);
        api.MapDelete("/{id}", CancelJob).WithSummary("Cancel a job").ProducesProblem(404);
        api.MapGet("/{id}/events", FollowJob)
            .WithSummary("A job's progress as Server-Sent Events")
            .Produces(200, contentType: JobEvents.ContentType).ProducesProblem(404).ProducesProblem(429);

        return app;
    }

    public static async Task<Results<Accepted<JobJson>, Ok<JobJson>, ProblemHttpResult>> CreateJob([AsParameters] GatewayServices s,
        [FromServices] IOptions<WebhookOptions> webhooks, [FromServices] IJobHistory history)
    {
        var (body, bodyBytes) = await JsonBody.ReadSizedAsync<JobRequest>(s.Http.Request, CaptionInputs.MaxJsonBodyBytes, s.Aborted);
        if (body.Value is not { } request) return body.Problem!;

        JobSpec? spec;
        ProblemHttpResult? problem;
        WorkScheduling? scheduling = null;
        CaptionInput? upload = null;
        switch (request.Type)
        {
            case "generation":
                if (request.Image is not null) return Field("image", "image is only accepted by caption jobs");
                if (bodyBytes > ImagesApi.MaxGenerationBodyBytes) return JsonBody.TooLarge(ImagesApi.MaxGenerationBodyBytes, "a generation job's body");
                (var p, problem) = await JobSpecs.ValidateGenerationAsync(s, request.AsGeneration());
                spec = p is null ? null : JobSpecs.Generation(s.Tenant.Id, p);
                scheduling = p?.Scheduling;
                break;
            case "caption":
                if (GenerationOnlyFields(request).FirstOrDefault() is { } field) return Field(field, $"{field} is only accepted by generation jobs");
                var (input, invalid) = CaptionInputs.From(request.Image, RequestValidation.Sampling(request.Steps, request.GuidanceScale),
                    RequestValidation.Scheduling(request.Priority, request.Timeout));
                if (input is null) return invalid!;
                scheduling = input.Scheduling;
                if (request.Model is not null && (await CaptionJobs.CheckModelAsync(s, request.Model)).Problem is { } unknown) return unknown;
                (spec, problem) = await JobSpecs.CaptionAsync(s, input, request.Model);
                upload = input;
                break;
            default:
                return Field("type", "type must be \"generation\" or \"caption\"");
        }
        if (spec is null) return problem!;
        var (withWebhook, refusal) = JobWebhookTarget.Attach(spec, request.WebhookUrl, s.Tenant, webhooks.Value, s.BaseUrl);
        if (withWebhook is null) return Field("webhook_url", refusal!);
        spec = withWebhook;

        // Async jobs are batch work unless they say otherwise: interactive requests go first, batch keeps its guaranteed share.
        // Without a timeout the job's own (Platform:JobTimeout) is its deadline.
        spec = (scheduling ?? WorkScheduling.Default).ApplyTo(spec, JobPriority.Batch, DateTimeOffset.UtcNow);
        var submission = await s.Jobs.SubmitAsync(s.Http, spec, s.Tenant, s.IdempotencyKey, upload);
        if (submission.Job is not { } job) return submission.Problem!;
        if (!submission.Repeated)
        {
            await RememberAsync(history, job);
            return TypedResults.Accepted(Links.Job(job.JobId), s.ToJson(job));
        }
        s.Http.Response.Headers.Location = Links.Job(job.JobId);
        return TypedResults.Ok(s.ToJson(job));
    }

    public static async Task<Results<Ok<JobJson>, ProblemHttpResult>> GetJob(string id, [AsParameters] GatewayServices s,
        [FromServices] QueuePositions positions) =>
        await FindOwnJobAsync(s, id) is { } job ? TypedResults.Ok(s.ToJson(job) with { QueuePosition = await positions.OfAsync(job) }) : Problems.JobNotFound(id);

    public static async Task<Results<Ok<JobJson>, ProblemHttpResult>> CancelJob(string id, [AsParameters] GatewayServices s)
    {
        if (await FindOwnJobAsync(s, id) is null) return Problems.JobNotFound(id);
        return await s.Jobs.Job(id).CancelAsync() is { } job ? TypedResults.Ok(s.ToJson(job)) : Problems.JobNotFound(id);
    }

    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> FollowJob(string id, [AsParameters] GatewayServices s,
        [FromServices] QueuePositions positions)
    {
        if (await FindOwnJobAsync(s, id) is not { } job) return Problems.JobNotFound(id);
        var stream = s.EventStreams.TryOpen(s.Tenant.Id);
        if (!stream.IsAcquired)
        {
            stream.Dispose();
            return Problems.TooManyRequests(s.Http, s.Options.Value.EventsKeepAlive,
                $"at most {s.EventStreams.Limit} job event streams may be open at once; close one, or poll GET /v1/jobs/{id}",
                "too_many_event_streams");
        }
        s.Http.Response.RegisterForDispose(stream); // released when the response ends, however it ends
        s.Http.Response.Headers.CacheControl = "no-cache";
        s.Http.Response.Headers["X-Accel-Buffering"] = "no";
        s.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        Func<string, string> fileUrl = s.FileUrl;
        var keepAlive = s.Options.Value.EventsKeepAlive;
        var aborted = s.Aborted;
        return TypedResults.Stream(
            body => JobEvents.StreamAsync(body, s.Jobs.Job(id), job, j => JobJson.From(j, fileUrl), keepAlive, aborted, positions.OfAsync),
            JobEvents.ContentType);
    }

    /// <summary>Lists the admitted job in the tenant's history. The job runs either way: a Redis failure here leaves it out of
    /// GET /v1/jobs rather than answering an error for a job that was accepted (a retry would not list it either).</summary>
    private static async Task RememberAsync(IJobHistory history, JobSnapshot job)
    {
        try
        {
            await history.AddAsync(job.TenantId, job.JobId, job.CreatedAt);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
        }
    }

    /// <summary>The caller's job, or null when it does not exist, the id is malformed, or it belongs to another tenant.</summary>
    internal static async Task<JobSnapshot?> FindOwnJobAsync(GatewayServices s, string id)
    {
        if (!JobIds.IsWellFormed(id)) return null;
        var job = await s.Jobs.Job(id).GetAsync();
        return job is not null && job.TenantId == s.Tenant.Id ? job : null;
    }

    private static IEnumerable<string> GenerationOnlyFields(JobRequest r)
    {
        if (r.Prompt is not null) yield return "prompt";
        if (r.N is not null) yield return "n";
        if (r.Size is not null) yield return "size";
        if (r.Seed is not null) yield return "seed";
    }

    internal static ProblemHttpResult Field(string field, string message) =>
        Problems.Validation(new Dictionary<string, string[]> { [field] = [message] });
}
