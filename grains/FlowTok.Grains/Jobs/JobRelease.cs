using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Returns what a job's admission reserved when it ends: its tenant slot (the quota is charged only for what was produced),
/// then its items in the platform queue. Both parts are idempotent per job, so <see cref="ReleaseAsync"/> may be retried
/// after a failure (Redis or the tenant's silo failing), by this activation, a later one or the reservation sweep
/// (<see cref="ReservationSweep"/>): capacity is never returned twice. The slot goes first so that a job holding a slot
/// always still holds its queue reservation, which is what the sweep finds when every retry here was lost.
/// </summary>
public sealed class JobRelease(TenantQueueAdmission admission)
{
    /// <summary>Throws when a part could not be returned; call again to finish.</summary>
    public async Task ReleaseAsync(ITenantGrain tenant, string jobId, int itemsProduced)
    {
        await tenant.FinishJobAsync(jobId, itemsProduced);
        await admission.ReleaseAsync(jobId);
    }
}
