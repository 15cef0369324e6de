using System.Diagnostics;
using FlowTok.Contracts.Jobs;
using FlowTok.ServiceDefaults.Resilience;
using FlowTok.Gateway.Uploads;
using FlowTok.Infrastructure.Observability;
using FlowTok.Storage;
using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Jobs;

/// <summary>A submitted job (<see cref="Repeated"/> when an Idempotency-Key named an earlier one), or the problem to answer.</summary>
public sealed record Submission(JobSnapshot? Job, bool Repeated, ProblemHttpResult? Problem);

/// <summary>Idempotency, admission, storing a caption's upload once admitted, and waiting: everything between a validated
/// request and a job's outcome.</summary>
public sealed class JobSubmitter(IGrainFactory grains, IIdempotencyStore idempotency, IFileStore files, IOptions<GatewayOptions> options)
{
    private readonly TransientRetry retry = new(options.Value.GrainCallAttemptTimeout, options.Value.TransientRetryWindow, TimeProvider.System);

    /// <summary>Longest single long-poll on a job (well under Orleans' 30 s response timeout).</summary>
    public static readonly TimeSpan WatchSlice = TimeSpan.FromSeconds(10);

    public const int MaxIdempotencyKeyLength = 255;

    public IJobGrain Job(string jobId) => grains.GetGrain<IJobGrain>(jobId);

    /// <summary>
    /// Submits <paramref name="spec"/> as a new job, or, with an Idempotency-Key already used for the same request, returns
    /// that job (submitting it again if its first submission was refused). The same key with a different request is 409.
    /// A caption's <paramref name="upload"/> is stored only once the job is admitted (<see cref="AttachUploadAsync"/>).
    /// </summary>
    public async Task<Submission> SubmitAsync(HttpContext http, JobSpec spec, TenantInfo tenant, string? idempotencyKey, CaptionInput? upload = null)
    {
        string jobId = JobIds.New();
        bool repeated = false;
        // The request's span (and so its trace) names the tenant and the job.
        Activity.Current?.SetTag(PlatformTracing.Tenant, tenant.Id).SetTag(PlatformTracing.Model, spec.Model);
        if (!string.IsNullOrEmpty(idempotencyKey))
        {
            if (idempotencyKey.Length > MaxIdempotencyKeyLength)
                return new(null, false, Problems.BadRequest($"Idempotency-Key must be at most {MaxIdempotencyKeyLength} characters"));
            var claim = await idempotency.ClaimAsync(tenant.Id, idempotencyKey, spec.RequestHash, jobId);
            if (!claim.IsNew)
            {
                if (!claim.SameRequest)
                    return new(null, false, Problems.Create(409,
                        "this Idempotency-Key was already used with a different request", "Idempotency-Key reused",
                        new Dictionary<string, object?> { ["job_id"] = claim.JobId }));
                jobId = claim.JobId;
                repeated = true;
                if (await retry.RunAsync(() => Job(jobId).GetAsync()) is { } existing && existing.TenantId == tenant.Id)
                    return new(await AttachUploadAsync(existing, upload), true, null);
            }
        }

        var limits = new TenantLimits
        {
            MaxConcurrentJobs = tenant.MaxConcurrentJobs, ItemQuota = tenant.ItemQuota, Weight = tenant.Weight, DeviceSecondsQuota = tenant.DeviceSecondsQuota,
        };
        Activity.Current?.SetTag(PlatformTracing.Job, jobId);
        var result = await SubmitWithRetryAsync(retry, Job(jobId), spec, limits, http.RequestAborted);
        if (result.Job is { } job) return new(await AttachUploadAsync(job, upload), repeated, null);
        var rejection = result.Rejection ?? new Admission { Accepted = false, Reason = "the job was not admitted", RetryAfter = TimeSpan.FromSeconds(1) };
        return new(null, false, Problems.TooManyRequests(http, rejection.RetryAfter, rejection.Reason ?? "the job was not admitted", rejection.Code));
    }

    /// <summary>
    /// Submits to the job's grain, again after a transient failure (<see cref="TransientRetry"/>): the silo holding the job's
    /// or the tenant's grain died (the call fails, or is never answered), or a stopping silo dropped the answer of a call it
    /// ran. Submitting is idempotent per job id (an admitted job answers with its snapshot, the tenant counts a job id once),
    /// so a repeated call either returns the stored job or admits it now.
    /// </summary>
    public static Task<SubmitResult> SubmitWithRetryAsync(TransientRetry retry, IJobGrain grain, JobSpec spec, TenantLimits limits,
        CancellationToken cancellationToken = default) =>
        retry.RunAsync(() => grain.SubmitAsync(spec, limits), cancellationToken);

    /// <summary>
    /// Stores the upload of an admitted caption job that still waits for it, and names it to the job, which then queues its
    /// item. Nothing is stored for a job that has its upload (a replayed Idempotency-Key) or has ended. A file the job did
    /// not take (a concurrent duplicate request named its own first) is deleted again. If storing fails (Redis down), the
    /// request fails; the job waits for a retry with the same Idempotency-Key, or fails by itself after a minute.
    /// </summary>
    private async Task<JobSnapshot> AttachUploadAsync(JobSnapshot job, CaptionInput? upload)
    {
        if (upload is null || job.Spec is not { Kind: JobKind.Caption, InputFileId: null } || job.Status.IsTerminal()) return job;
        string fileId = await files.PutAsync(job.TenantId, upload.Image, upload.ContentType);
        JobSnapshot? attached = null;
        try
        {
            attached = await retry.RunAsync(() => Job(job.JobId).AttachInputAsync(fileId));
        }
        finally
        {
            if (attached?.Spec.InputFileId != fileId) await files.DeleteAsync(job.TenantId, fileId);
        }
        return attached ?? job;
    }

    /// <summary>Long-polls the job (waking only when it ends) until it is finished or <paramref name="timeout"/> passes; returns the last snapshot seen.</summary>
    public Task<JobSnapshot> WaitAsync(JobSnapshot job, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(Job(job.JobId), job, timeout, TimeProvider.System, cancellationToken);

    public static async Task<JobSnapshot> WaitAsync(IJobGrain grain, JobSnapshot job, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        while (!job.Status.IsTerminal())
        {
            var remaining = timeout - time.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero) break;
            JobSnapshot? next;
            try
            {
                // Waits for the end only: progress does not wake a synchronous request.
                next = await grain.WaitForEndAsync(remaining < WatchSlice ? remaining : WatchSlice).WaitAsync(cancellationToken);
            }
            catch (Exception e) when (TransientFailures.IsTransient(e) && time.GetElapsedTime(start) + TransientFailures.RetryDelay < timeout)
            {
                // The job's silo died or is stopping: the job (stored) reactivates on another silo at the next call.
                await Task.Delay(TransientFailures.RetryDelay, time, cancellationToken);
                continue;
            }
            if (next is null) break;
            job = next;
        }
        return job;
    }

    /// <summary>
    /// The problem for a job that did not succeed, by its first failure's code: not started before its deadline 504 (the
    /// request's <c>timeout</c> passed while the devices were busy), unusable or unavailable input 400, a task the model
    /// cannot do 501, any other failure 500; cancelled 409; still running after the wait 504 (with a Location to poll).
    /// Null when it succeeded.
    /// </summary>
    public static ProblemHttpResult? ProblemFor(HttpContext http, JobSnapshot job)
    {
        var jobId = new Dictionary<string, object?> { ["job_id"] = job.JobId };
        switch (job.Status)
        {
            case JobStatus.Succeeded:
                return null;
            case JobStatus.Failed:
                // Only public codes and messages: what failed inside is in the silos' logs under the job id.
                var code = JobFailures.Code(job);
                jobId["code"] = code;
                jobId["failures"] = JobFailureJson.From(job);
                var (status, title) = FailureStatus(code);
                return Problems.Create(status, $"the job failed: {JobFailures.Message(job)}", title, jobId);
            case JobStatus.Cancelled:
                return Problems.Create(409, "the job was cancelled", "Job cancelled", jobId);
            default:
                http.Response.Headers.Location = Links.Job(job.JobId);
                http.Response.Headers[GatewayHeaders.JobId] = job.JobId;
                return Problems.Create(504, $"the job did not finish in time; poll GET {Links.Job(job.JobId)} for its result", "Job still running", jobId);
        }
    }

    private static (int Status, string Title) FailureStatus(string? code) => code switch
    {
        ItemFailures.DeadlineExceeded or ItemFailures.TimedOut => (504, "Deadline exceeded"),
        ItemFailures.InvalidInput or ItemFailures.InputUnavailable => (400, "Input not usable"),
        ItemFailures.Unsupported => (501, "Not supported by the model"),
        _ => (500, "Job failed"),
    };
}
