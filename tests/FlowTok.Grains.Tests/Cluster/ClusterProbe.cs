using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Tests.Cluster;

/// <summary>What the cluster tests submit and look at: jobs, tenants and the platform queue's admission counts.</summary>
public sealed class ClusterProbe(GrainCluster cluster)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static JobSpec Images(string tenant, int count = 1, int steps = 2, DateTimeOffset? deadline = null) => new()
    {
        TenantId = tenant, Kind = JobKind.Generation, Prompt = "a red circle", Count = count, Seed = 1, Steps = steps, Deadline = deadline,
    };

    public static string NewId(string prefix = "job-") => prefix + Guid.NewGuid().ToString("N");

    public static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N");

    public IJobGrain Job(string id) => cluster.Client.GetGrain<IJobGrain>(id);

    public ITenantGrain Tenant(string id) => cluster.Client.GetGrain<ITenantGrain>(id);

    public async Task<JobSnapshot> Ended(string id) =>
        await Job(id).WaitForEndAsync(Patience) is { Status: var status } snapshot && status.IsTerminal()
            ? snapshot
            : throw new TimeoutException($"job {id} did not end within {Patience}");

    /// <summary>Items the tenant holds in the platform queue.</summary>
    public async Task<long> QueuedFor(string tenant) => (await cluster.Admission.TenantsAsync()).GetValueOrDefault(tenant).Items;

    public async Task<int> ActiveJobs(string tenant) => (await Tenant(tenant).GetUsageAsync()).ActiveJobs;

    /// <summary>A job's watchers are woken as it ends; its reservations are returned just after. Waits for that.</summary>
    public Task Released(string tenant) => WaitUntil(async () => await ActiveJobs(tenant) == 0 && await QueuedFor(tenant) == 0,
        $"tenant {tenant}'s jobs to be released");

    public static async Task WaitUntil(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited {Patience} for {what}");
            await Task.Delay(50);
        }
    }
}
