using FlowTok.Infrastructure.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class OutputCacheTests(RedisBackend backend)
{
    static readonly byte[][] Images = [[137, 80, 78, 71, 1], [137, 80, 78, 71, 2, 2], [137, 80, 78, 71, 3, 3, 3]];

    [Fact]
    public async Task CachedImagesComeBackInOrder()
    {
        var cache = new RedisOutputCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "hash-1", Images);
        var cached = await cache.GetAsync("acme", "hash-1");

        Assert.NotNull(cached);
        Assert.Equal(Images, cached);
    }

    [Fact]
    public async Task OutputCacheIsPerTenant()
    {
        var cache = new RedisOutputCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "hash-1", Images);

        Assert.Null(await cache.GetAsync("globex", "hash-1"));
        Assert.Null(await cache.GetAsync("acme", "hash-2"));
    }

    [Fact]
    public async Task SettingAgainReplacesTheImages()
    {
        var cache = new RedisOutputCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "hash-1", Images);
        await cache.SetAsync("acme", "hash-1", [Images[2]]);

        Assert.Equal([Images[2]], await cache.GetAsync("acme", "hash-1"));
    }

    [Fact]
    public async Task TheFilesHoldingAnOutputAreRecordedWithIt()
    {
        var cache = new RedisOutputCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "hash-1", Images, ["file-a", "file-b", "file-c"]);
        Assert.Equal(["file-a", "file-b", "file-c"], await cache.GetFileIdsAsync("acme", "hash-1"));
        Assert.Null(await cache.GetFileIdsAsync("globex", "hash-1"));

        await cache.SetFileIdsAsync("acme", "hash-1", ["file-d", "file-e", "file-f"]);
        Assert.Equal(["file-d", "file-e", "file-f"], await cache.GetFileIdsAsync("acme", "hash-1"));

        // New images replace the files recorded for the old ones; an output that is gone gets no files recorded.
        await cache.SetAsync("acme", "hash-1", Images);
        Assert.Null(await cache.GetFileIdsAsync("acme", "hash-1"));
        await cache.SetFileIdsAsync("acme", "hash-2", ["file-g"]);
        Assert.Null(await cache.GetFileIdsAsync("acme", "hash-2"));
    }

    [Fact]
    public async Task CachedOutputExpires()
    {
        var cache = new RedisOutputCache(backend.Redis, backend.NewOptions(o => o.OutputCacheTimeToLive = TimeSpan.FromMilliseconds(300)));

        await cache.SetAsync("acme", "hash-1", Images);
        Assert.NotNull(await cache.GetAsync("acme", "hash-1"));
        await Task.Delay(TimeSpan.FromMilliseconds(800));

        Assert.Null(await cache.GetAsync("acme", "hash-1"));
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class OutputCacheOnGarnet(GarnetBackend backend) : OutputCacheTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class OutputCacheOnRedisServer(RedisServerBackend backend) : OutputCacheTests(backend);
