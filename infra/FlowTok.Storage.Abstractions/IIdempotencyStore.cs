namespace FlowTok.Storage;

/// <summary>Outcome of claiming an Idempotency-Key: the job it names and whether it was claimed by this call.</summary>
public sealed record IdempotencyClaim(string JobId, bool IsNew, bool SameRequest);

/// <summary>Idempotency-Key -> job id per tenant, first writer wins (SET NX), with a TTL.</summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="jobId"/>. If the key was already claimed returns the earlier job id,
    /// IsNew false, and whether the earlier request had the same <paramref name="requestHash"/>.
    /// </summary>
    Task<IdempotencyClaim> ClaimAsync(string tenantId, string key, string requestHash, string jobId);
}
