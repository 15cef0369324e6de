using System.Text.Json.Serialization;
using FlowTok.Contracts.Jobs;

namespace FlowTok.Gateway.Jobs;

/// <summary>A job on the wire (<c>GET /v1/jobs/{id}</c>, event data). Times are Unix seconds; <c>deadline</c>: work not started
/// on a device by then is dropped (the request's <c>timeout</c>, or null: the platform's job timeout). A failed job's
/// <c>error</c>, <c>error_code</c> and <c>failures</c> are public codes and messages (<see cref="JobFailures"/>).
/// <c>user</c> and <c>safety_identifier</c>: the request's end-user ids, when it gave them.</summary>
public sealed record JobJson(
    string Id,
    string Object,
    string Type,
    string Status,
    long CreatedAt,
    long? FinishedAt,
    JobProgressJson Progress,
    int N,
    IReadOnlyList<JobResultJson> Results,
    string? Error,
    string? ErrorCode,
    IReadOnlyList<JobFailureJson> Failures,
    string Priority,
    long? Deadline,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SafetyIdentifier)
{
    /// <summary>The job's settings: in <c>GET /v1/jobs</c> listings only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JobSettingsJson? Settings { get; init; }

    /// <summary>The served model that runs the job's items (its id from <c>GET /v1/models</c>); absent for jobs that named none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Model { get; init; }

    /// <summary>While the job is queued: 1 + the items queued before it on the replica where it waits (<see cref="QueuePositions"/>);
    /// absent otherwise. In <c>GET /v1/jobs/{id}</c> and its events only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? QueuePosition { get; init; }

    /// <summary>With plain links (they need the API key).</summary>
    public static JobJson From(JobSnapshot job, string baseUrl) => From(job, fileId => Links.File(baseUrl, fileId));

    /// <summary>With the links <paramref name="fileUrl"/> makes of file ids (signed ones, <see cref="FileLinks"/>).</summary>
    public static JobJson From(JobSnapshot job, Func<string, string> fileUrl) => new(
        job.JobId,
        "job",
        job.Spec.Kind == JobKind.Caption ? "caption" : "generation",
        job.Status.ToWire(),
        job.CreatedAt.ToUnixTimeSeconds(),
        job.FinishedAt?.ToUnixTimeSeconds(),
        JobProgressJson.From(job),
        job.Spec.Kind == JobKind.Caption ? 1 : job.Spec.Count,
        [.. job.Outputs.OrderBy(o => o.Index).Select(o => JobResultJson.From(o, fileUrl))],
        JobFailures.Message(job),
        JobFailures.Code(job),
        JobFailureJson.From(job),
        job.Spec.Priority == JobPriority.Batch ? "batch" : "interactive",
        job.Spec.Deadline?.ToUnixTimeSeconds(),
        job.Spec.User,
        job.Spec.SafetyIdentifier) { Model = job.Spec.Model };
}

public sealed record JobProgressJson(int StepsDone, int TotalSteps, double Fraction)
{
    public static JobProgressJson From(JobSnapshot job)
    {
        double fraction = job.Status == JobStatus.Succeeded ? 1
            : job.TotalSteps > 0 ? Math.Round(Math.Clamp((double)job.StepsDone / job.TotalSteps, 0, 1), 4)
            : 0;
        return new(job.StepsDone, job.TotalSteps, fraction);
    }
}

/// <summary>One finished item: an image (file id and its download URL) or a caption.</summary>
public sealed record JobResultJson(int Index, string? FileId, string? Url, long Seed, string? Caption)
{
    public static JobResultJson From(JobOutput output, Func<string, string> fileUrl) => new(
        output.Index,
        output.FileId,
        output.FileId is null ? null : fileUrl(output.FileId),
        output.Seed,
        output.Caption);
}

/// <summary>What a job asked for, as the request's fields (shown in <c>GET /v1/jobs</c>, enough to submit it again).</summary>
public sealed record JobSettingsJson(string? Prompt, int N, long Seed, int Steps, double GuidanceScale, double? TextNoise)
{
    public static JobSettingsJson From(JobSpec spec) => new(spec.Prompt, spec.Count, spec.Seed, spec.Steps, spec.GuidanceScale, spec.TextNoise);
}
