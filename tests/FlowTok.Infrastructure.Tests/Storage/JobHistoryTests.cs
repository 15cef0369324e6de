using FlowTok.Infrastructure.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class JobHistoryTests(RedisBackend backend)
{
    readonly ManualTime time = new();

    RedisJobHistory History(int maxJobs = 1000) =>
        new(backend.Redis, backend.NewOptions(o => (o.JobHistoryMaxJobs, o.JobHistoryTimeToLive) = (maxJobs, TimeSpan.FromHours(1))), time);

    async Task AddJobs(RedisJobHistory history, string tenant, int count)
    {
        for (int i = 1; i <= count; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(0.25)); // less than a millisecond apart: still in order
            await history.AddAsync(tenant, $"job-{i}", time.GetUtcNow());
        }
    }

    [Fact]
    public async Task JobsListNewestFirstPageByPagePerTenant()
    {
        var history = History();
        await AddJobs(history, "acme", 5);

        Assert.Equal(["job-5", "job-4"], await history.ListAsync("acme", 2, null));
        Assert.Equal(["job-3", "job-2"], await history.ListAsync("acme", 2, "job-4"));
        Assert.Equal(["job-1"], await history.ListAsync("acme", 2, "job-2"));
        Assert.Empty((await history.ListAsync("acme", 2, "job-1"))!);
        Assert.Null(await history.ListAsync("acme", 2, "job-9"));
        Assert.Empty((await history.ListAsync("globex", 10, null))!);
        Assert.Null(await history.ListAsync("globex", 10, "job-1")); // another tenant's job is no cursor
    }

    [Fact]
    public async Task TheListKeepsItsNewestJobsWithinTheBoundAndTheRetention()
    {
        var history = History(maxJobs: 3);
        await AddJobs(history, "acme", 5);
        Assert.Equal(["job-5", "job-4", "job-3"], await history.ListAsync("acme", 10, null));

        time.Advance(TimeSpan.FromHours(2));
        await history.AddAsync("acme", "job-6", time.GetUtcNow());
        Assert.Equal(["job-6"], await history.ListAsync("acme", 10, null));

        await history.RemoveAsync("acme", ["job-6"]);
        Assert.Empty((await history.ListAsync("acme", 10, null))!);
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class JobHistoryOnGarnet(GarnetBackend backend) : JobHistoryTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class JobHistoryOnRedisServer(RedisServerBackend backend) : JobHistoryTests(backend);
