using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Jobs;
using FlowTok.Infrastructure.Storage;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>Retried after a failure, a job's release returns its queue items once and its tenant slot once it can.</summary>
public sealed class JobReleaseTests : IDisposable
{
    private readonly EmbeddedAdmissionCounter redis = new();

    private IAdmissionCounter Counter => redis.Counter;

    [Fact]
    public async Task ARetryAfterTheTenantFailedReturnsTheQueueItemsOnlyOnce()
    {
        var admission = new TenantQueueAdmission(Counter, new PlatformOptions { MaxQueuedItems = 100 });
        Assert.Null(await admission.TryAdmitAsync("acme", 1, 3)); // this job
        Assert.Null(await admission.TryAdmitAsync("acme", 1, 2)); // another job of the tenant
        var tenant = new TenantFailingOnce();
        var release = new JobRelease(admission);
        var spec = new JobSpec { TenantId = "acme", Kind = JobKind.Generation, Prompt = "p", Count = 3 };

        await Assert.ThrowsAsync<TimeoutException>(() => release.ReleaseAsync(tenant, "job-1", spec, itemsProduced: 2));
        Assert.Equal(2, (await Counter.TenantsAsync())["acme"].Items);
        await release.ReleaseAsync(tenant, "job-1", spec, itemsProduced: 2);

        Assert.Equal(2, (await Counter.TenantsAsync())["acme"].Items); // the other job's items are still held
        Assert.Equal([("job-1", 2)], tenant.Finished);
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
