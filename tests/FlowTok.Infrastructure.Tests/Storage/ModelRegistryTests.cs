using FlowTok.Contracts.Models;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class ModelRegistryTests(RedisBackend backend)
{
    static readonly ModelDescriptor Xl = new() { Version = "flowtok-xl-1", ImageSize = 512, TextToImage = true, ImageToText = false, Name = "FlowTok-XL" };
    static readonly ModelDescriptor Tiny = new() { Version = "tiny-3", ImageSize = 64, TextToImage = true, ImageToText = true };

    [Fact]
    public async Task AnnouncedModelsAreListed()
    {
        var time = new ManualTime();
        var registry = new RedisModelRegistry(backend.Redis, backend.NewOptions(), time);

        await registry.AnnounceAsync("node-a/cuda:0", Xl, TimeSpan.FromMinutes(1));
        await registry.AnnounceAsync("node-a/cpu:0", Tiny, TimeSpan.FromMinutes(1));

        Assert.Equal(
            [new RegisteredModel("node-a/cpu:0", Tiny, time.GetUtcNow()), new RegisteredModel("node-a/cuda:0", Xl, time.GetUtcNow())],
            await registry.ListAsync());
    }

    [Fact]
    public async Task WithdrawnModelIsNotListed()
    {
        var registry = new RedisModelRegistry(backend.Redis, backend.NewOptions());
        await registry.AnnounceAsync("node-a/cuda:0", Xl, TimeSpan.FromMinutes(1));
        await registry.AnnounceAsync("node-a/cpu:0", Tiny, TimeSpan.FromMinutes(1));

        await registry.WithdrawAsync("node-a/cuda:0");

        Assert.Equal(["node-a/cpu:0"], (await registry.ListAsync()).Select(m => m.GrainKey));
    }

    [Fact]
    public async Task ExpiredAnnouncementIsNotListedAndIsRemoved()
    {
        var time = new ManualTime();
        var options = backend.NewOptions();
        var registry = new RedisModelRegistry(backend.Redis, options, time);
        await registry.AnnounceAsync("node-a/cuda:0", Xl, TimeSpan.FromSeconds(10));
        await registry.AnnounceAsync("node-a/cpu:0", Tiny, TimeSpan.FromSeconds(30));

        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(["node-a/cpu:0"], (await registry.ListAsync()).Select(m => m.GrainKey));
        var models = new RedisKeys(options.Value.KeyPrefix).Models;
        await WaitUntil(async () => !await backend.Redis.GetDatabase().HashExistsAsync(models, "node-a/cuda:0"));
        Assert.True(await backend.Redis.GetDatabase().HashExistsAsync(models, "node-a/cpu:0"));
    }

    [Fact]
    public async Task RefreshedAnnouncementStaysListed()
    {
        var time = new ManualTime();
        var registry = new RedisModelRegistry(backend.Redis, backend.NewOptions(), time);
        await registry.AnnounceAsync("node-a/cuda:0", Xl, TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(8));
        await registry.AnnounceAsync("node-a/cuda:0", Xl, TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(8));

        var listed = Assert.Single(await registry.ListAsync());
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromSeconds(8), listed.SeenAt);
    }

    static async Task WaitUntil(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 50 && !await condition(); i++)
        {
            await Task.Delay(20);
        }
        Assert.True(await condition());
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class ModelRegistryOnGarnet(GarnetBackend backend) : ModelRegistryTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class ModelRegistryOnRedisServer(RedisServerBackend backend) : ModelRegistryTests(backend);
