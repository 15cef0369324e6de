using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Tests.Cluster;

/// <summary>The job and tenant grains in an in-process cluster: admission, idempotency, deadlines, stall requeue, release.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class JobGrainTests(GrainCluster cluster)
{
    private readonly ClusterProbe probe = new(cluster);

    private static JobSpec Images(string tenant, int count = 1, int steps = 2, DateTimeOffset? deadline = null) =>
        ClusterProbe.Images(tenant, count, steps, deadline);

    private static string NewId(string prefix = "job-") => ClusterProbe.NewId(prefix);

    private static string NewTenant() => ClusterProbe.NewTenant();

    private IJobGrain Job(string id) => probe.Job(id);

    private ITenantGrain Tenant(string id) => probe.Tenant(id);

    private Task<JobSnapshot> Ended(string id) => probe.Ended(id);

    private Task<long> QueuedFor(string tenant) => probe.QueuedFor(tenant);

    private Task Released(string tenant) => probe.Released(tenant);

    [Fact]
    public async Task AnAdmittedJobRunsOnTheDeviceAndReleasesItsTenantSlotAndQueueItems()
    {
        var tenant = NewTenant();
        var id = NewId();
        var submitted = await Job(id).SubmitAsync(Images(tenant, count: 2), new TenantLimits { MaxConcurrentJobs = 1 });
        Assert.Null(submitted.Rejection);
        Assert.Equal(1, (await Tenant(tenant).GetUsageAsync()).ActiveJobs);
        Assert.Equal(2, await QueuedFor(tenant));

        var done = await Ended(id);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal([0, 1], done.Outputs.Select(o => o.Index));
        Assert.Equal(done.TotalSteps, done.StepsDone);
        await Released(tenant);
        var usage = await Tenant(tenant).GetUsageAsync();
        Assert.Equal((0, 2L), (usage.ActiveJobs, usage.ImagesUsed));
        Assert.Equal(0, await QueuedFor(tenant));
    }

    [Fact]
    public async Task ATenantAtItsConcurrencyLimitIsRefusedAndNothingIsReservedOrStored()
    {
        var tenant = NewTenant();
        var limits = new TenantLimits { MaxConcurrentJobs = 1 };
        var first = NewId();
        Assert.Null((await Job(first).SubmitAsync(Images(tenant, steps: 20), limits)).Rejection);

        var second = NewId();
        var refused = (await Job(second).SubmitAsync(Images(tenant, count: 3), limits)).Rejection;
        Assert.NotNull(refused);
        Assert.Equal("concurrency", refused.Code);
        Assert.Contains("limit 1", refused.Reason);
        Assert.Null(await Job(second).GetAsync());
        Assert.Equal(1, await QueuedFor(tenant)); // the refused job's three items were returned
        Assert.Equal(1, (await Tenant(tenant).GetUsageAsync()).ActiveJobs);

        await Ended(first);
        await Released(tenant);
        Assert.Null((await Job(second).SubmitAsync(Images(tenant), limits)).Rejection); // its slot is free again
        await Ended(second);
        await Released(tenant);
    }

    [Fact]
    public async Task ATenantOverItsQuotaIsRefused()
    {
        var tenant = NewTenant();
        var limits = new TenantLimits { ItemQuota = 2 };
        var first = NewId();
        Assert.Null((await Job(first).SubmitAsync(Images(tenant, count: 2), limits)).Rejection);
        await Ended(first);
        await Released(tenant);
        var refused = (await Job(NewId()).SubmitAsync(Images(tenant), limits)).Rejection;
        Assert.Equal("quota", refused?.Code);
        Assert.Equal(0, await QueuedFor(tenant));
    }

    [Fact]
    public async Task ATenantAtItsDeviceSecondsQuotaIsRefusedAndNothingIsReserved()
    {
        var tenant = NewTenant();
        var limits = new TenantLimits { DeviceSecondsQuota = 2 };
        await Tenant(tenant).RecordUsageAsync(new MeteredUsage { DeviceSeconds = 1.5, ItemsRun = 1 });
        var first = NewId();
        Assert.Null((await Job(first).SubmitAsync(Images(tenant), limits)).Rejection); // 1.5 of 2 used: still admitted
        await Ended(first);
        await Released(tenant);

        await Tenant(tenant).RecordUsageAsync(new MeteredUsage { DeviceSeconds = 0.5, ItemsRun = 1 });
        var refused = (await Job(NewId()).SubmitAsync(Images(tenant), limits)).Rejection;
        Assert.Equal("insufficient_quota", refused?.Code);
        Assert.Contains("quota of 2 device seconds", refused!.Reason);
        Assert.Equal(0, await QueuedFor(tenant));
        var unlimited = NewId();
        Assert.Null((await Job(unlimited).SubmitAsync(Images(tenant), new TenantLimits())).Rejection); // no quota: admitted
        await Ended(unlimited);
    }

    [Fact]
    public async Task SubmittingTheSameJobAgainReturnsItWithoutASecondAdmission()
    {
        var tenant = NewTenant();
        var id = NewId();
        var limits = new TenantLimits { MaxConcurrentJobs = 1 };
        var first = await Job(id).SubmitAsync(Images(tenant, count: 2, steps: 20), limits);
        var again = await Job(id).SubmitAsync(Images(tenant, count: 2, steps: 20), limits);

        Assert.Null(again.Rejection); // not refused by its own concurrency slot
        Assert.Equal(first.Job!.CreatedAt, again.Job!.CreatedAt);
        Assert.Equal(2, await QueuedFor(tenant)); // two items, not four
        Assert.Equal(1, (await Tenant(tenant).GetUsageAsync()).ActiveJobs);
        Assert.Equal(JobStatus.Succeeded, (await Ended(id)).Status);
        await Released(tenant);
        Assert.Equal(2, (await Tenant(tenant).GetUsageAsync()).ImagesUsed);
    }

    [Fact]
    public async Task AnItemWhoseDeadlinePassesInTheQueueFailsItsJobWithoutDeviceTime()
    {
        // A long job holds the one-row device; the other tenant's item is due before it is done.
        var busy = NewId();
        await Job(busy).SubmitAsync(Images(NewTenant(), steps: 40), new TenantLimits());
        await WaitUntil(async () => (await Job(busy).GetAsync())!.StepsDone > 0, "the long job to start");
        var tenant = NewTenant();
        var late = NewId();
        Assert.Null((await Job(late).SubmitAsync(Images(tenant, deadline: DateTimeOffset.UtcNow.AddMilliseconds(300)), new TenantLimits())).Rejection);

        var done = await Ended(late);
        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Equal(ItemFailures.DeadlineExceeded, Assert.Single(done.Failures).Value);
        Assert.Equal(0, done.StepsDone);
        await Released(tenant);
        // The replica reports the drop with the tenant's use: no device seconds, one deadline drop.
        await WaitUntil(async () => (await Tenant(tenant).GetUsageAsync()).DeadlineDrops == 1, "the replica's usage report");
        Assert.Equal(0, (await Tenant(tenant).GetUsageAsync()).DeviceSeconds);
        Assert.Equal(JobStatus.Succeeded, (await Ended(busy)).Status);
    }

    [Fact]
    public async Task AnItemWhoseResultWasLostIsQueuedAgainAndTheJobSucceeds()
    {
        var tenant = NewTenant();
        var id = NewId(GrainCluster.LostResultPrefix);
        Assert.Null((await Job(id).SubmitAsync(Images(tenant, count: 2), new TenantLimits())).Rejection);

        var done = await Ended(id);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal([0, 1], done.Outputs.Select(o => o.Index));
        Assert.True(cluster.Lost.Count >= 2, $"{cluster.Lost.Count} results were lost"); // the fault was injected for both items
        await Released(tenant);
    }

    [Fact]
    public async Task ACancelledJobReleasesItsSlot()
    {
        var tenant = NewTenant();
        var id = NewId();
        await Job(id).SubmitAsync(Images(tenant, steps: 60), new TenantLimits { MaxConcurrentJobs = 1 });
        var cancelled = await Job(id).CancelAsync();
        Assert.Equal(JobStatus.Cancelled, cancelled!.Status);
        await Released(tenant);
        Assert.Equal(0, (await Tenant(tenant).GetUsageAsync()).ImagesUsed);
    }

    private static Task WaitUntil(Func<Task<bool>> condition, string what) => ClusterProbe.WaitUntil(condition, what);
}
