using FlowTok.Gateway.Requests;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// A synchronous caption as its two halves, shared by <c>/v1/images/captions</c> and <c>/v1/chat/completions</c>: submit
/// (model, tenant admission, quotas, the upload stored once admitted) and wait. A stream answers its headers between them.
/// </summary>
public static class CaptionJobs
{
    public static async Task<OrProblem<JobSnapshot>> SubmitAsync(GatewayServices s, CaptionInput input, string? modelId = null)
    {
        var (spec, unavailable) = await JobSpecs.CaptionAsync(s, input, modelId);
        if (spec is null) return new(null, unavailable);
        var submission = await s.Jobs.SubmitAsync(s.Http, ImagesApi.Interactive(spec, input.Scheduling, s), s.Tenant, s.IdempotencyKey, input);
        if (submission.Job is null) return new(null, submission.Problem);
        s.Http.Response.Headers[GatewayHeaders.JobId] = submission.Job.JobId;
        return new(submission.Job, null);
    }

    /// <summary>The caption, or the problem of a job that did not succeed within the synchronous wait. With
    /// <paramref name="headersSent"/> a job still running is a 504 without the Location header (too late for headers).</summary>
    public static async Task<OrProblem<string>> WaitAsync(GatewayServices s, JobSnapshot job, bool headersSent = false)
    {
        job = await s.Jobs.WaitAsync(job, s.Options.Value.SyncTimeout, s.Aborted);
        if (headersSent && !job.Status.IsTerminal())
            return new(null, Problems.Create(504, $"the job did not finish in time; poll GET {Links.Job(job.JobId)} for its result", "Job still running",
                new Dictionary<string, object?> { ["job_id"] = job.JobId }));
        if (JobSubmitter.ProblemFor(s.Http, job) is { } unfinished) return new(null, unfinished);
        return new(job.Outputs.OrderBy(o => o.Index).Select(o => o.Caption).FirstOrDefault() ?? "", null);
    }

    /// <summary>The captioning model's id, checked like a generation's <c>model</c>: an id from <c>GET /v1/models</c>
    /// (404 model_not_found otherwise) that captions (400 otherwise); absent = the served captioning model.</summary>
    public static async Task<OrProblem<string>> CheckModelAsync(GatewayServices s, string? requested)
    {
        var models = await s.Models.ListAsync();
        if (requested is null)
            return new(models.FirstOrDefault(m => m.Capabilities.Contains(ModelListing.ImageToText))?.Id ?? "flowtok", null);
        if (models.FirstOrDefault(m => m.Id == requested) is not { } model) return new(null, Problems.ModelNotFound(requested));
        return model.Capabilities.Contains(ModelListing.ImageToText) ? new(model.Id, null)
            : new(null, Problems.Validation(new Dictionary<string, string[]> { ["model"] = [$"model '{requested}' does not caption images"] }));
    }
}
