using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Returns what a job's admission reserved when it ends: its items in the platform queue, then its tenant slot (the quota
/// is charged only for what was produced). Each part is returned once however often <see cref="ReleaseAsync"/> is
/// retried after a failure (Redis or the tenant's silo failing), so capacity is never leaked nor returned twice.
/// </summary>
public sealed class JobRelease(TenantQueueAdmission admission)
{
    private bool queueReleased;

    /// <summary>Throws when a part could not be returned; call again to finish.</summary>
    public async Task ReleaseAsync(ITenantGrain tenant, string jobId, JobSpec spec, int itemsProduced)
    {
        if (!queueReleased)
        {
            await admission.ReleaseAsync(spec.TenantId, spec.Count);
            queueReleased = true;
        }
        // Idempotent per job on the tenant's side.
        await tenant.FinishJobAsync(jobId, itemsProduced);
    }
}
