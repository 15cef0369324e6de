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

    /// <summary>Tenants with items admitted: how many each holds and its weight (for the tenants' queue shares).</summary>
    Task<IReadOnlyDictionary<string, TenantAdmission>> TenantsAsync();

    /// <summary>
    /// Adds <paramref name="items"/> for <paramref name="tenant"/> if the tenant then holds at most <paramref name="tenantLimit"/>
    /// (or held none) and the platform at most <paramref name="platformLimit"/>; one atomic step. The tenant's weight is kept
    /// for the others' share computations.
    /// </summary>
    Task<AdmissionVerdict> TryAddForTenantAsync(string tenant, double weight, int items, int tenantLimit, int platformLimit);

    /// <summary>Returns a tenant's items (and the platform's count) when its job ends.</summary>
    Task ReleaseForTenantAsync(string tenant, int items);
}

/// <summary>A tenant's admitted items and weight.</summary>
public readonly record struct TenantAdmission(long Items, double Weight);

/// <summary>Outcome of a per-tenant admission.</summary>
public enum AdmissionVerdict
{
    Admitted,
    /// <summary>The tenant holds its share of the queue.</summary>
    TenantShareFull,
    /// <summary>The platform-wide bound is reached.</summary>
    PlatformFull,
}
