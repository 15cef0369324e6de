using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Grains;

public static class RedisGrainStorage
{
    /// <summary>The grain storage providers of <see cref="StorageNames"/> on Orleans' Redis provider, reusing the process's one
    /// multiplexer (embedded server or external Redis), in Orleans' binary format instead of the default Newtonsoft JSON (a hot
    /// path: two writes per job).</summary>
    public static ISiloBuilder AddFlowTokGrainStorage(this ISiloBuilder silo)
    {
        foreach (var name in new[] { StorageNames.Jobs, StorageNames.Tenants })
            silo.AddRedisGrainStorage(name, (OptionsBuilder<Orleans.Persistence.RedisStorageOptions> o) =>
                o.Configure<RedisEndpoint, IConnectionMultiplexer, Orleans.Serialization.Serializer>((s, endpoint, redis, serializer) =>
                {
                    s.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
                    s.CreateMultiplexer = _ => Task.FromResult((redis, true));
                    s.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer);
                }));
        return silo;
    }
}
