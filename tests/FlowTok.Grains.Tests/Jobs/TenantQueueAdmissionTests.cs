using FlowTok.Grains.Jobs;
using FlowTok.Storage;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>Admission to the platform queue on the real Redis counter (the embedded server the one-machine platform uses).</summary>
public sealed class TenantQueueAdmissionTests : IDisposable
{
    private readonly EmbeddedAdmissionCounter redis = new();

    private IAdmissionCounter Counter => redis.Counter;

    private TenantQueueAdmission Admission(int maxQueued = 8, int minPerTenant = 2) =>
        new(Counter, new PlatformOptions { MaxQueuedItems = maxQueued, MinQueuedItemsPerTenant = minPerTenant, QueueFullRetryAfter = TimeSpan.FromSeconds(3) });

    [Fact]
    public async Task ATenantHoldingItsShareIsRefusedWhileAnotherIsAdmitted()
    {
        var admission = Admission();
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "other", 1, 1));
        // With one other tenant of equal weight queued, "flood" may hold half of the 8: four items.
        var flood = NewJob();
        Assert.Null(await admission.TryAdmitAsync(flood, "flood", 1, 4));
        var refused = await admission.TryAdmitAsync(NewJob(), "flood", 1, 1);
        Assert.NotNull(refused);
        Assert.False(refused.Accepted);
        Assert.Equal("tenant_queue_full", refused.Code);
        Assert.Contains("4 of its items are queued or running", refused.Reason);
        Assert.Equal(TimeSpan.FromSeconds(3), refused.RetryAfter);
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "other", 1, 1));

        await admission.ReleaseAsync(flood);
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "flood", 1, 1));
    }

    [Fact]
    public async Task ARefusalSaysNothingOfOtherTenants()
    {
        // The tenant's own state stays the same (four items held) while one, then three other tenants have work queued.
        var admission = Admission();
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "flood", 1, 4));
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "other-a", 1, 1));
        var withOne = await admission.TryAdmitAsync(NewJob(), "flood", 1, 1);
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "other-b", 2, 1));
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "other-c", 2, 1));
        var withThree = await admission.TryAdmitAsync(NewJob(), "flood", 1, 1);

        Assert.Equal("tenant_queue_full", withOne?.Code);
        Assert.Equal(withOne, withThree);
    }

    [Fact]
    public async Task AFullPlatformQueueRefusesEveryone()
    {
        var admission = Admission(maxQueued: 2, minPerTenant: 2);
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "a", 1, 2));
        Assert.Null(await admission.TryAdmitAsync(NewJob(), "b", 1, 2));
        var refused = await admission.TryAdmitAsync(NewJob(), "c", 1, 1);
        Assert.Equal("queue_full", refused?.Code);
        Assert.Contains("platform queue is full (4 items", refused!.Reason);
    }

    [Fact]
    public async Task AJobIsAdmittedOnceHoweverOftenItsSubmitIsRetried()
    {
        var admission = Admission();
        Assert.Null(await admission.TryAdmitAsync("job-1", "acme", 1, 3));
        Assert.Null(await admission.TryAdmitAsync("job-1", "acme", 1, 3)); // a retry after a failed write
        Assert.Equal(3, (await Counter.TenantsAsync())["acme"].Items);

        await admission.ReleaseAsync("job-1");
        await admission.ReleaseAsync("job-1");
        Assert.False((await Counter.TenantsAsync()).ContainsKey("acme"));
    }

    private static string NewJob() => "job-" + Guid.NewGuid().ToString("N");

    public void Dispose() => redis.Dispose();
}
