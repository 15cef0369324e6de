using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class IdempotencyStoreTests(RedisBackend backend)
{
    readonly RedisIdempotencyStore store = new(backend.Redis, backend.NewOptions());

    [Fact]
    public async Task IdempotencyKeyReturnsFirstJob()
    {
        var first = await store.ClaimAsync("acme", "key-1", "request-a", "job-1");
        var second = await store.ClaimAsync("acme", "key-1", "request-a", "job-2");

        Assert.Equal(new IdempotencyClaim("job-1", IsNew: true, SameRequest: true), first);
        Assert.Equal(new IdempotencyClaim("job-1", IsNew: false, SameRequest: true), second);
    }

    [Fact]
    public async Task ReusedKeyWithADifferentRequestIsReported()
    {
        await store.ClaimAsync("acme", "key-1", "request-a", "job-1");

        var reuse = await store.ClaimAsync("acme", "key-1", "request-b", "job-2");

        Assert.Equal(new IdempotencyClaim("job-1", IsNew: false, SameRequest: false), reuse);
    }

    [Fact]
    public async Task IdempotencyKeysArePerTenant()
    {
        await store.ClaimAsync("acme", "key-1", "request-a", "job-1");

        var other = await store.ClaimAsync("globex", "key-1", "request-a", "job-2");

        Assert.Equal(new IdempotencyClaim("job-2", IsNew: true, SameRequest: true), other);
    }

    [Fact]
    public async Task ConcurrentClaimsHaveOneWinner()
    {
        var claims = await Task.WhenAll(Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => store.ClaimAsync("acme", "key-1", "request-a", $"job-{i}"))));

        var winner = Assert.Single(claims, c => c.IsNew);
        Assert.All(claims, c => Assert.Equal(winner.JobId, c.JobId));
    }

    [Fact]
    public async Task ClaimExpires()
    {
        var shortLived = new RedisIdempotencyStore(backend.Redis, backend.NewOptions(o => o.IdempotencyTimeToLive = TimeSpan.FromMilliseconds(300)));
        await shortLived.ClaimAsync("acme", "key-1", "request-a", "job-1");

        await Task.Delay(TimeSpan.FromMilliseconds(800));

        Assert.True((await shortLived.ClaimAsync("acme", "key-1", "request-a", "job-2")).IsNew);
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class IdempotencyStoreOnGarnet(GarnetBackend backend) : IdempotencyStoreTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class IdempotencyStoreOnRedisServer(RedisServerBackend backend) : IdempotencyStoreTests(backend);
