namespace FlowTok.Storage;

/// <summary>
/// Platform-wide count of queued-or-running items, so the queue is bounded: admission fails once the bound is reached
/// (the gateway answers 429 with Retry-After instead of letting the queue grow).
/// </summary>
public interface IAdmissionCounter
{
    /// <summary>Items admitted across the platform.</summary>
    Task<long> CurrentAsync();

    /// <summary>Tenants with items admitted: how many each holds and its weight (for the tenants' queue shares).</summary>
    Task<IReadOnlyDictionary<string, TenantAdmission>> TenantsAsync();

    /// <summary>
    /// Reserves <paramref name="items"/> for job <paramref name="jobId"/> of <paramref name="tenant"/> if the tenant then holds at
    /// most <paramref name="tenantLimit"/> (or held none) and the platform at most <paramref name="platformLimit"/>; one atomic
    /// step. Idempotent per job: a job that already holds its reservation (a retried submit) is admitted without counting again.
    /// The tenant's weight is kept for the others' share computations.
    /// </summary>
    Task<AdmissionVerdict> TryReserveAsync(string jobId, string tenant, double weight, int items, int tenantLimit, int platformLimit);

    /// <summary>Returns job <paramref name="jobId"/>'s reservation (its tenant's items and the platform's count); false when it
    /// held none (already returned: a release is never counted twice).</summary>
    Task<bool> ReleaseReservationAsync(string jobId);

    /// <summary>The reservations held now, one per admitted job (bounded by the queue's bound).</summary>
    Task<IReadOnlyList<AdmissionReservation>> ReservationsAsync();

    /// <summary>Sets the platform's and the tenants' counts to what the reservations add up (the truth), atomically; returns
    /// by how many items the platform's count was off (positive: it counted items no job holds).</summary>
    Task<long> RecountAsync();
}

/// <summary>What job <see cref="JobId"/> of <see cref="Tenant"/> holds in the platform queue since <see cref="AdmittedAt"/>.</summary>
public readonly record struct AdmissionReservation(string JobId, string Tenant, int Items, DateTimeOffset AdmittedAt);

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
