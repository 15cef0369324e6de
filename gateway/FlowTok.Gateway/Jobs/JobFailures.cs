using FlowTok.Contracts.Jobs;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// What a tenant is told of a failed job: made from its items' failure codes (<see cref="ItemFailures"/>) only, never from
/// the text a job stores, which an older silo may have filled with an exception's message.
/// </summary>
public static class JobFailures
{
    /// <summary>The code of the first failed item; <see cref="ItemFailures.Internal"/> for a failed job that names none.</summary>
    public static string? Code(JobSnapshot job) =>
        job.Status != JobStatus.Failed ? null
        : job.Failures.Count == 0 ? ItemFailures.Internal
        : ItemFailures.Normalize(job.Failures.MinBy(f => f.Key).Value);

    public static string? Message(JobSnapshot job) =>
        job.Status != JobStatus.Failed ? null
        : job.Failures.Count == 0 ? ItemFailures.Message(ItemFailures.Internal)
        : ItemFailures.Describe(job.Failures);
}

/// <summary>One failed item of a job: its index, code and public message.</summary>
public sealed record JobFailureJson(int Index, string Code, string Message)
{
    public static IReadOnlyList<JobFailureJson> From(JobSnapshot job) =>
        [.. job.Failures.OrderBy(f => f.Key).Select(f => new JobFailureJson(f.Key, ItemFailures.Normalize(f.Value), ItemFailures.Message(f.Value)))];
}
