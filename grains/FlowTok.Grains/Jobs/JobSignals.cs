namespace FlowTok.Grains.Jobs;

/// <summary>
/// What long polls wait on: a version that moves with every change of the job (progress included), a signal per change,
/// and one for its end. Watchers (the gateway's long polls and event streams) are woken on every change.
/// </summary>
public sealed class JobSignals(int version)
{
    private TaskCompletionSource changed = NewSignal();
    private readonly TaskCompletionSource ended = NewSignal();

    public int Version { get; private set; } = version;

    /// <summary>Completes at the next change.</summary>
    public Task NextChange => changed.Task;

    /// <summary>Completes when the job ends.</summary>
    public Task End => ended.Task;

    public void Changed()
    {
        Version++;
        var signal = changed;
        changed = NewSignal();
        signal.TrySetResult();
    }

    public void Ended() => ended.TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
