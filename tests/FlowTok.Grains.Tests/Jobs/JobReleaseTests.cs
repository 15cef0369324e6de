using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Jobs;
using FlowTok.Storage;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>Retried after a failure, a job's release returns its queue items once and its tenant slot once it can.</summary>
public sealed class JobReleaseTests : IDisposable
{
    private readonly EmbeddedAdmissionCounter redis = new();

    private IAdmissionCounter Counter => redis.Counter;

    [Fact]
    public async Task ARetryAfterTheTenantFailedReturnsTheSlotAndTheQueueItemsOnce()
    {
        var admission = new TenantQueueAdmission(Counter, new PlatformOptions { MaxQueuedItems = 100 });
        Assert.Null(await admission.TryAdmitAsync("job-1", "acme", 1, 3)); // this job
        Assert.Null(await admission.TryAdmitAsync("job-2", "acme", 1, 2)); // another job of the tenant
        var tenant = new TenantFailingOnce();

        await Assert.ThrowsAsync<TimeoutException>(() => new JobRelease(admission).ReleaseAsync(tenant, "job-1", itemsProduced: 2));
        Assert.Equal(5, (await Counter.TenantsAsync())["acme"].Items); // the slot goes first: the reservation is still there to find
        await new JobRelease(admission).ReleaseAsync(tenant, "job-1", itemsProduced: 2);
        await new JobRelease(admission).ReleaseAsync(tenant, "job-1", itemsProduced: 2); // a later activation, or the sweep

        Assert.Equal(2, (await Counter.TenantsAsync())["acme"].Items); // the other job's items are still held
        Assert.Equal([("job-1", 2), ("job-1", 2)], tenant.Finished); // idempotent on the tenant's side
    }

    /// <summary>A tenant grain whose first call fails (its silo restarting), as seen through its reference.</summary>
    private sealed class TenantFailingOnce : ITenantGrain
    {
        private bool failed;
        public List<(string Job, int Items)> Finished { get; } = [];

        public Task FinishJobAsync(string jobId, int itemsProduced)
        {
            if (!failed)
            {
                failed = true;
                throw new TimeoutException("the tenant's silo did not answer");
            }
            Finished.Add((jobId, itemsProduced));
            return Task.CompletedTask;
        }

        public Task<Admission> TryStartJobAsync(string jobId, int items, TenantLimits limits) => throw new NotSupportedException();
        public Task<TenantUsage> GetUsageAsync() => throw new NotSupportedException();
        public Task RecordUsageAsync(MeteredUsage usage) => throw new NotSupportedException();
    }

    public void Dispose() => redis.Dispose();
}
