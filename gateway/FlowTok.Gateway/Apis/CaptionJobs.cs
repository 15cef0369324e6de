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
    public static async Task<(JobSnapshot? Job, ProblemHttpResult? Problem)> SubmitAsync(GatewayServices s, CaptionInput input, string? modelId = null)
    {
        var (spec, unavailable) = await JobSpecs.CaptionAsync(s, input, modelId);
        if (spec is null) return (null, unavailable);
        var submission = await s.Jobs.SubmitAsync(s.Http, ImagesApi.Interactive(spec, input.Scheduling, s), s.Tenant, s.IdempotencyKey, input);
        if (submission.Job is null) return (null, submission.Problem);
        s.Http.Response.Headers[GatewayHeaders.JobId] = submission.Job.JobId;
        return (submission.Job, null);
    }

    /// <summary>The caption, or the problem of a job that did not succeed within the synchronous wait. With
    /// <paramref name="headersSent"/> a job still running is a 504 without the Location header (too late for headers).</summary>
    public static async Task<(string? Caption, ProblemHttpResult? Problem)> WaitAsync(GatewayServices s, JobSnapshot job, bool headersSent = false)
    {
        job = await s.Jobs.WaitAsync(job, s.Options.Value.SyncTimeout, s.Aborted);
        if (headersSent && !job.Status.IsTerminal())
            return (null, Problems.Create(504, $"the job did not finish in time; poll GET {Links.Job(job.JobId)} for its result", "Job still running",
                new Dictionary<string, object?> { ["job_id"] = job.JobId }));
        if (JobSubmitter.ProblemFor(s.Http, job) is { } unfinished) return (null, unfinished);
        return (job.Outputs.OrderBy(o => o.Index).Select(o => o.Caption).FirstOrDefault() ?? "", null);
    }
}
