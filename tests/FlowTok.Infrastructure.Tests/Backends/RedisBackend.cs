using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Backends;

/// <summary>
/// A Redis-protocol server the store tests run against, shared by a test collection. Each test gets its own key prefix,
/// so tests never see each other's keys.
/// </summary>
public abstract class RedisBackend : IDisposable
{
    ConnectionMultiplexer? redis;

    public abstract string ConnectionString { get; }

    /// <summary>The shared client (one per backend, as one per process in production).</summary>
    public IConnectionMultiplexer Redis => redis ??= ConnectionMultiplexer.Connect(ConnectionString);

    /// <summary>Options with a key prefix no other test uses.</summary>
    public IOptions<RedisOptions> NewOptions(Action<RedisOptions>? configure = null)
    {
        var options = new RedisOptions
        {
            ConnectionString = ConnectionString,
            KeyPrefix = $"test-{Guid.NewGuid():N}:",
        };
        configure?.Invoke(options);
        return Options.Create(options);
    }

    /// <summary>Another client, as another process would have.</summary>
    public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(ConnectionString);

    /// <summary>Every key under a prefix (SCAN).</summary>
    public async Task<List<RedisKey>> KeysAsync(string prefix)
    {
        var server = Redis.GetServer(Redis.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            keys.Add(key);
        }
        return keys;
    }

    public void Dispose()
    {
        redis?.Dispose();
        StopServer();
        GC.SuppressFinalize(this);
    }

    protected abstract void StopServer();
}
