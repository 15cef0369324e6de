using System.Diagnostics;
using FlowTok.Contracts.Jobs;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Core.Internal;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FlowTok.Grains.Tests.Cluster;

/// <summary>
/// After a fault, the admission counts (a tenant's items in the platform queue, its active jobs) return to the truth by
/// themselves: a retried submit is not counted twice, and the reservation sweep returns what a failed write, a lost release
/// or a lost deadline timer left held. Each test prints the counts after the fault and how long they took to converge.
/// </summary>
[Collection(FaultyGrainClusterCollection.Name)]
public sealed class CounterConvergenceTests(FaultyGrainCluster cluster, ITestOutputHelper output)
{
    private readonly ClusterProbe probe = new(cluster);

    [Fact]
    public async Task ASubmitRetriedAfterItsWriteFailedIsCountedOnce()
    {
        var tenant = ClusterProbe.NewTenant();
        var id = ClusterProbe.NewId(FaultyGrainCluster.FailedWritePrefix);
        var spec = ClusterProbe.Images(tenant, count: 2);
        await Assert.ThrowsAnyAsync<Exception>(() => probe.Job(id).SubmitAsync(spec, new TenantLimits()));
        var afterFault = await Counts(tenant);

        Assert.Null((await probe.Job(id).SubmitAsync(spec, new TenantLimits())).Rejection); // the gateway's retry
        var afterRetry = await Counts(tenant);
        output.WriteLine($"failed write, then retried: after the fault {afterFault}, after the retry {afterRetry}");
        Assert.Equal((2L, 1), afterRetry); // two items and one slot, not four items

        Assert.Equal(JobStatus.Succeeded, (await probe.Ended(id)).Status);
        await probe.Released(tenant);
        Assert.Equal(2, (await probe.Tenant(tenant).GetUsageAsync()).ImagesUsed);
    }

    [Fact]
    public async Task AnAdmissionWhoseJobWasNeverStoredIsReturned()
    {
        var tenant = ClusterProbe.NewTenant();
        var id = ClusterProbe.NewId(FaultyGrainCluster.FailedWritePrefix);
        await Assert.ThrowsAnyAsync<Exception>(() => probe.Job(id).SubmitAsync(ClusterProbe.Images(tenant, count: 3), new TenantLimits()));
        var afterFault = await Counts(tenant);
        Assert.Equal((3L, 1), afterFault); // held for a job that does not exist

        await Converged(tenant, "a failed write after admission, no retry", afterFault);
        Assert.Null(await probe.Job(id).GetAsync());
        Assert.Equal(0, (await probe.Tenant(tenant).GetUsageAsync()).ImagesUsed);
    }

    [Fact]
    public async Task AReleaseThatNeverSucceedsIsFinishedByTheSweep()
    {
        var tenant = ClusterProbe.NewTenant();
        var id = ClusterProbe.NewId(FaultyGrainCluster.LostReleasePrefix);
        Assert.Null((await probe.Job(id).SubmitAsync(ClusterProbe.Images(tenant, count: 2), new TenantLimits())).Rejection);
        Assert.Equal(JobStatus.Succeeded, (await probe.Ended(id)).Status);
        var afterFault = await Counts(tenant);

        await Converged(tenant, "every release of the ended job failing", afterFault);
        Assert.Equal(2, (await probe.Tenant(tenant).GetUsageAsync()).ImagesUsed); // charged for what it produced
    }

    [Fact]
    public async Task AJobWhoseDeadlineTimerWasLostTimesOutAndIsReleased()
    {
        var tenant = ClusterProbe.NewTenant();
        var id = ClusterProbe.NewId(FaultyGrainCluster.SilentPrefix);
        Assert.Null((await probe.Job(id).SubmitAsync(ClusterProbe.Images(tenant), new TenantLimits())).Rejection);
        // Its item ran but its result was lost; then the activation goes, and with it the deadline timer.
        await ClusterProbe.WaitUntil(async () => (await probe.Job(id).GetAsync())!.StepsDone == 2, "the silent job's item to run");
        await probe.Job(id).AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        var afterFault = await Counts(tenant);

        // Only the counts are watched: asking the job itself would wake it, and its deadline with it.
        await Converged(tenant, "a deadline timer lost to a deactivation", afterFault);
        var job = await probe.Job(id).GetAsync();
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Contains("timed out", job.Error);
    }

    [Fact]
    public async Task CountsThatDriftedFromTheReservationsAreRecounted()
    {
        // Items counted for a tenant that no job holds (counted before reservations existed, or a key edited by hand).
        var tenant = ClusterProbe.NewTenant();
        var keys = new RedisKeys(cluster.Silo.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix);
        var redis = cluster.Silo.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await redis.HashSetAsync(keys.AdmissionByTenant, tenant, 5);
        await redis.StringIncrementAsync(keys.Admission, 5);
        var afterFault = await Counts(tenant);
        Assert.Equal((5L, 0), afterFault);

        await Converged(tenant, "items counted that no job holds", afterFault);
    }

    private async Task<(long Queued, int Active)> Counts(string tenant) => (await probe.QueuedFor(tenant), await probe.ActiveJobs(tenant));

    /// <summary>Waits for the tenant's counts to return to zero; prints how long that took.</summary>
    private async Task Converged(string tenant, string fault, (long Queued, int Active) afterFault)
    {
        var clock = Stopwatch.StartNew();
        await probe.Released(tenant);
        output.WriteLine($"{fault}: (queued items, active jobs) after the fault {afterFault}, after convergence {await Counts(tenant)}, " +
            $"converged in {clock.Elapsed.TotalSeconds:0.0} s (sweep every {FaultyGrainCluster.SweepPeriod.TotalSeconds} s, grace " +
            $"{FaultyGrainCluster.SweepGrace.TotalSeconds} s, job timeout {FaultyGrainCluster.JobTimeout.TotalSeconds} s)");
    }
}
