using FlowTok.Infrastructure.Observability;
using FlowTok.Infrastructure.Redis;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
using FlowTok.Infrastructure.Tests.Backends;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Redis;

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class AddFlowTokRedisTests(RedisServerBackend redisServer)
{
    [Fact]
    public async Task WithoutAConnectionStringAnEmbeddedServerIsStartedAndStopped()
    {
        string connectionString;
        await using (var provider = Build(new Dictionary<string, string?> { ["Redis:KeyPrefix"] = $"di-{Guid.NewGuid():N}:" }))
        {
            var endpoint = provider.GetRequiredService<RedisEndpoint>();
            Assert.True(endpoint.IsEmbedded);
            connectionString = endpoint.ConnectionString;
            Assert.Equal(endpoint.EmbeddedServer!.ConnectionString, connectionString);

            var files = provider.GetRequiredService<IFileStore>();
            var id = await files.PutAsync("acme", [1, 2, 3], "image/png");
            Assert.Equal([1, 2, 3], (await files.GetAsync("acme", id))?.Bytes);
        }

        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(connectionString + ",connectTimeout=500,connectRetry=0"));
    }

    [Fact]
    public async Task ConfiguredConnectionStringAndKeyPrefixAreUsed()
    {
        var prefix = $"di-{Guid.NewGuid():N}:";
        await using var provider = Build(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redisServer.ConnectionString,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:FileTimeToLive"] = "00:00:42",
        });

        var endpoint = provider.GetRequiredService<RedisEndpoint>();
        var id = await provider.GetRequiredService<IFileStore>().PutAsync("acme", [1], "image/png");

        Assert.False(endpoint.IsEmbedded);
        Assert.Equal(redisServer.ConnectionString, endpoint.ConnectionString);
        var ttl = await redisServer.Redis.GetDatabase().KeyTimeToLiveAsync(prefix + "file:" + id);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(42));
    }

    [Fact]
    public async Task EveryStoreIsOneSingletonOnOneMultiplexer()
    {
        await using var provider = Build(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redisServer.ConnectionString });
        Type[] services =
        [
            typeof(IConnectionMultiplexer), typeof(IFileStore), typeof(IOutputCache), typeof(IPromptCache), typeof(IIdempotencyStore), typeof(IJobHistory),
            typeof(ICancellationSignals), typeof(IAdmissionCounter), typeof(IModelRegistry), typeof(ITenantDirectory), typeof(PlatformMetrics),
        ];

        foreach (var service in services)
        {
            Assert.Same(provider.GetRequiredService(service), provider.GetRequiredService(service));
        }
        Assert.IsType<RedisTenantDirectory>(provider.GetRequiredService<ITenantDirectory>());
    }

    static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddFlowTokRedis(configuration).BuildServiceProvider(validateScopes: true);
    }
}
