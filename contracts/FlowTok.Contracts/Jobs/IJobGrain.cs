using Orleans.Concurrency;

namespace FlowTok.Contracts.Jobs;

/// <summary>
/// One job (keyed by job id): durable state, fan-out of its items to the model silos, aggregation, progress and
/// cancellation. Returns null for a job that was never submitted.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits the job (tenant concurrency and quota, platform queue bound) and queues its items. Submitting again returns
    /// the existing job unchanged (idempotent). A rejected job leaves no state behind.
    /// </summary>
    Task<SubmitResult> SubmitAsync(JobSpec spec, TenantLimits limits);

    /// <summary>
    /// A caption job submitted without <see cref="JobSpec.InputFileId"/> waits for its upload, which the gateway stores only
    /// once the job is admitted: this names the stored file and queues the item. The first file named wins; the returned
    /// job names another file (or none, when it ended first) if this one was not taken, and its caller deletes it.
    /// </summary>
    Task<JobSnapshot?> AttachInputAsync(string fileId);

    [AlwaysInterleave, ReadOnly]
    Task<JobSnapshot?> GetAsync();

    /// <summary>Returns as soon as the job's version exceeds <paramref name="afterVersion"/>, or after <paramref name="maxWait"/>.</summary>
    [AlwaysInterleave, ReadOnly]
    Task<JobSnapshot?> WatchAsync(int afterVersion, TimeSpan maxWait);

    /// <summary>Returns once the job has ended (succeeded, failed or cancelled), or after <paramref name="maxWait"/>;
    /// unlike <see cref="WatchAsync"/> it does not wake on progress.</summary>
    [AlwaysInterleave, ReadOnly]
    Task<JobSnapshot?> WaitForEndAsync(TimeSpan maxWait);

    /// <summary>Queued items are dropped; running items stop at their next sampler step. No effect on a finished job.</summary>
    Task<JobSnapshot?> CancelAsync();

    [OneWay]
    Task ReportProgressAsync(int index, int step, int steps);

    /// <summary>A preview of an item (kept in memory, not stored: previews of a reactivated job are gone).</summary>
    [OneWay]
    Task ReportPreviewAsync(JobPreview preview);

    /// <summary>The job's previews with <see cref="JobPreview.Sequence"/> above <paramref name="afterSequence"/>, oldest first.</summary>
    [AlwaysInterleave, ReadOnly]
    Task<IReadOnlyList<JobPreview>> GetPreviewsAsync(int afterSequence);

    Task CompleteItemAsync(JobOutput output);

    /// <param name="reason">a code of <see cref="ItemFailures"/>; anything else is stored as <see cref="ItemFailures.Internal"/></param>
    Task FailItemAsync(int index, string reason);
}
