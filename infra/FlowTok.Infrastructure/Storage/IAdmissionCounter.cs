namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// Platform-wide count of queued-or-running items, so the queue is bounded: admission fails once the bound is reached
/// (the gateway answers 429 with Retry-After instead of letting the queue grow).
/// </summary>
public interface IAdmissionCounter
{
    /// <summary>Adds <paramref name="items"/> if the total stays within <paramref name="limit"/>; false (and no change) otherwise.</summary>
    Task<bool> TryAddAsync(int items, int limit);

    Task ReleaseAsync(int items);

    Task<long> CurrentAsync();
}
