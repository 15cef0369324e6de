using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Scheduling;
using FlowTok.Storage;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Admission to the platform queue, which is shared by weight among the tenants that have work in it (<see cref="QueueBounds"/>):
/// a tenant holding its share is refused (429) while the others are still admitted; the whole queue never holds more than
/// twice Platform:MaxQueuedItems while shares shift. A refusal names only the tenant's own items, never other tenants.
/// </summary>
public sealed class TenantQueueAdmission(IAdmissionCounter counter, PlatformOptions options)
{
    /// <summary>Reserves <paramref name="items"/> for job <paramref name="jobId"/> of the tenant (once however often it is
    /// retried); null when admitted, else the refusal to answer with.</summary>
    public async Task<Admission?> TryAdmitAsync(string jobId, string tenant, double weight, int items)
    {
        var held = await counter.TenantsAsync();
        double others = held.Where(h => h.Key != tenant).Sum(h => h.Value.Weight);
        int limit = QueueBounds.TenantLimit(options.MaxQueuedItems, Math.Min(options.MinQueuedItemsPerTenant, options.MaxQueuedItems), weight, others);
        var verdict = await counter.TryReserveAsync(jobId, tenant, weight, items, limit, 2 * options.MaxQueuedItems);
        return verdict switch
        {
            AdmissionVerdict.Admitted => null,
            AdmissionVerdict.TenantShareFull => new Admission
            {
                Accepted = false,
                Code = "tenant_queue_full",
                // Only the tenant's own state: how many others have work queued, or their weights, is none of its business.
                Reason = $"the tenant holds its share of the platform queue ({held.GetValueOrDefault(tenant).Items} of its items are queued or running; " +
                    "its share follows its weight and the platform's load); try again when some of them finish",
                RetryAfter = options.QueueFullRetryAfter,
            },
            _ => new Admission
            {
                Accepted = false,
                Code = "queue_full",
                Reason = $"the platform queue is full ({2 * options.MaxQueuedItems} items queued or running)",
                RetryAfter = options.QueueFullRetryAfter,
            },
        };
    }

    /// <summary>Returns what <see cref="TryAdmitAsync"/> reserved for the job (nothing when it was returned already).</summary>
    public Task ReleaseAsync(string jobId) => counter.ReleaseReservationAsync(jobId);
}
