using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>Reading a job: snapshots, long polls for its next change or its end, previews.</summary>
public sealed partial class JobGrain
{
    public Task<JobSnapshot?> GetAsync() => Task.FromResult(Job.Spec is null ? null : Snapshot());

    public async Task<JobSnapshot?> WatchAsync(int afterVersion, TimeSpan maxWait)
    {
        if (Job.Spec is null) return null;
        if (signals.Version <= afterVersion && !Job.Status.IsTerminal()) await Wait(signals.NextChange, maxWait);
        return Snapshot();
    }

    public async Task<JobSnapshot?> WaitForEndAsync(TimeSpan maxWait)
    {
        if (Job.Spec is null) return null;
        if (!Job.Status.IsTerminal()) await Wait(signals.End, maxWait);
        return Snapshot();
    }

    /// <summary>A long poll: until <paramref name="signal"/>, <paramref name="maxWait"/>, or this silo leaving (then the
    /// job deactivates, and the caller's next poll reaches it on another silo).</summary>
    private async Task Wait(Task signal, TimeSpan maxWait)
    {
        await Task.WhenAny(signal, Task.Delay(maxWait, shutdown.Stopping));
        if (shutdown.Stopping.IsCancellationRequested) DeactivateOnIdle();
    }

    public Task<IReadOnlyList<JobPreview>> GetPreviewsAsync(int afterSequence) => Task.FromResult(previews.After(afterSequence));
}
