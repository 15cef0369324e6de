using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>The platform's Redis admission counter on a private embedded Redis-protocol server (the one-machine platform's).</summary>
public sealed class EmbeddedAdmissionCounter : IDisposable
{
    private readonly RedisEndpoint redis = RedisEndpoint.Resolve(new RedisOptions());
    private readonly StackExchange.Redis.ConnectionMultiplexer connection;

    public EmbeddedAdmissionCounter()
    {
        connection = RedisServiceCollectionExtensions.Connect(redis.ConnectionString);
        Counter = new RedisAdmissionCounter(connection, Options.Create(new RedisOptions()));
    }

    public IAdmissionCounter Counter { get; }

    public void Dispose()
    {
        connection.Dispose();
        redis.Dispose();
    }
}
