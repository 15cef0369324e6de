using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Grains;

public static class RedisGrainStorage
{
    /// <summary>The grain storage providers of <see cref="StorageNames"/> on Orleans' Redis provider, reusing the process's one
    /// multiplexer (embedded server or external Redis), in Orleans' binary format instead of the default Newtonsoft JSON (a hot
    /// path: two writes per job). A job's state expires <see cref="PlatformOptions.JobRetention"/> after its last write (for
    /// a finished job, its end); a tenant's state is one record per configured tenant and stays.</summary>
    public static ISiloBuilder AddFlowTokGrainStorage(this ISiloBuilder silo)
    {
        foreach (var name in new[] { StorageNames.Jobs, StorageNames.Tenants })
            silo.AddRedisGrainStorage(name, (OptionsBuilder<Orleans.Persistence.RedisStorageOptions> o) =>
                o.Configure<RedisEndpoint, IConnectionMultiplexer, Orleans.Serialization.Serializer, IOptions<PlatformOptions>>((s, endpoint, redis, serializer, platform) =>
                {
                    s.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
                    s.CreateMultiplexer = _ => Task.FromResult((redis, true));
                    s.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer);
                    if (name == StorageNames.Jobs) s.EntryExpiry = platform.Value.EffectiveJobRetention;
                }));
        return silo;
    }
}
