namespace FlowTok.Storage;

/// <summary>
/// Each tenant's recent job ids, newest first, so a tenant can list its own jobs (GET /v1/jobs). Only ids are kept: the jobs
/// themselves stay in their grains' storage, which decides what a listed id still shows.
/// </summary>
public interface IJobHistory
{
    /// <summary>Remembers <paramref name="jobId"/> as the tenant's job submitted at <paramref name="submittedAt"/>; drops
    /// entries past the retention or beyond the size bound.</summary>
    Task AddAsync(string tenantId, string jobId, DateTimeOffset submittedAt);

    /// <summary>Up to <paramref name="limit"/> of the tenant's job ids, newest first, after <paramref name="afterJobId"/>
    /// (null: from the newest). An <paramref name="afterJobId"/> the tenant's list does not hold gives null.</summary>
    Task<IReadOnlyList<string>?> ListAsync(string tenantId, int limit, string? afterJobId);

    /// <summary>Forgets ids whose jobs are gone (expired from the job store).</summary>
    Task RemoveAsync(string tenantId, IReadOnlyCollection<string> jobIds);
}
