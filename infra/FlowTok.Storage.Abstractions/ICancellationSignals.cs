namespace FlowTok.Storage;

/// <summary>
/// Job cancellations seen by every process: a flag (checked before queued work starts) plus a pub/sub broadcast that
/// running work listens to so it stops at its next sampler step.
/// </summary>
public interface ICancellationSignals
{
    Task CancelAsync(string jobId);

    Task<bool> IsCancelledAsync(string jobId);

    /// <summary>Local, synchronous view fed by the broadcast (what the inference thread checks between steps).</summary>
    bool IsCancelledLocally(string jobId);

    /// <summary>Raised on any process when a job is cancelled anywhere.</summary>
    event Action<string>? Cancelled;
}
