using FlowTok.Contracts.Jobs;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Jobs;

/// <summary>A job's watches: its deadline, items that started and went silent, a caption job's upload.</summary>
public sealed partial class JobGrain
{
    /// <summary>At the job's deadline, a job still open fails with the items that did not finish. The activation stays until then.</summary>
    private void WatchDeadline()
    {
        var deadline = Deadline;
        var remaining = deadline.Remaining(DateTimeOffset.UtcNow);
        DelayDeactivation(remaining + TimeSpan.FromMinutes(1));
        this.RegisterGrainTimer(async () =>
        {
            if (Job.Spec is null || Job.Status.IsTerminal()) return;
            var missing = Enumerable.Range(0, Job.Spec.Count).Where(i => !Settled(i)).ToList();
            logger.LogWarning("Job {JobId} timed out after {Timeout} with items {Missing} unfinished", JobId, deadline.Timeout, missing);
            foreach (var i in missing) Job.Failures[i] = ItemFailures.TimedOut;
            await cancellations.CancelAsync(JobId);
            await Finish(JobStatus.Failed, deadline.Reason(missing));
        }, new GrainTimerCreationOptions(remaining, Timeout.InfiniteTimeSpan));
    }

    /// <summary>An item was heard of: its stall watch starts again (and the watch's timer, with the first started item).</summary>
    private void Heard(int index)
    {
        stalls.Heard(index, DateTimeOffset.UtcNow);
        if (stallTimer is not null || !stalls.Enabled) return;
        stallTimer = this.RegisterGrainTimer(RequeueStalledItems, new GrainTimerCreationOptions(stalls.Period, stalls.Period));
    }

    private async Task RequeueStalledItems()
    {
        if (Job.Spec is null || Job.Status.IsTerminal())
        {
            stallTimer?.Dispose();
            stallTimer = null;
            return;
        }
        var stalled = stalls.TakeStalled(DateTimeOffset.UtcNow, Settled);
        if (stalled.Count == 0) return;
        logger.LogWarning("Job {JobId}: item(s) {Items} started but went silent (no progress or result for {Timeout} or more); queueing them again",
            JobId, stalled, platform.Value.ItemStallTimeout);
        try
        {
            await Publish(stalled);
        }
        catch (Exception e)
        {
            // Watched on: the next timeout tries again (the requeue counted).
            logger.LogWarning(e, "Queueing the silent items {Items} of job {JobId} again failed", stalled, JobId);
        }
    }

    // Caption uploads are stored by the gateway only once the job is admitted (a refused request stores nothing); the item
    // is queued when the stored file is attached.

    private bool AwaitsInput => Job.Spec is { Kind: JobKind.Caption, InputFileId: null };

    public async Task<JobSnapshot?> AttachInputAsync(string fileId)
    {
        if (Job.Spec is null) return null;
        if (!AwaitsInput || Job.Status.IsTerminal()) return Snapshot();
        Job.Spec = Job.Spec with { InputFileId = fileId };
        await Save();
        await PublishItems();
        return Snapshot();
    }

    /// <summary>An admitted caption job whose upload is not attached within Platform:UploadWait fails (input_unavailable).</summary>
    private void WatchInput()
    {
        if (!AwaitsInput) return;
        this.RegisterGrainTimer(async () =>
        {
            if (!AwaitsInput || Job.Status.IsTerminal()) return;
            logger.LogWarning("Job {JobId}: its upload was not stored within {Wait} of admission", JobId, platform.Value.UploadWait);
            Job.Failures[0] = ItemFailures.InputUnavailable;
            await Finish(JobStatus.Failed, ItemFailures.Describe(Job.Failures));
        }, new GrainTimerCreationOptions(platform.Value.UploadWait, Timeout.InfiniteTimeSpan));
    }
}
