using Microsoft.Extensions.Logging;

namespace FlowTok.Infrastructure.Redis;

/// <summary>
/// Where this process's Redis is: the configured server, or the embedded one this object started (and stops on dispose).
/// Orleans' Redis clustering and grain storage are configured with <see cref="ConnectionString"/>.
/// </summary>
public sealed class RedisEndpoint : IDisposable
{
    RedisEndpoint(string connectionString, EmbeddedRedisServer? embeddedServer)
    {
        ConnectionString = connectionString;
        EmbeddedServer = embeddedServer;
    }

    /// <summary>StackExchange.Redis configuration string: the configured one, or "127.0.0.1:{port}" of the embedded server.</summary>
    public string ConnectionString { get; }

    /// <summary>The in-process server, when no connection string was configured.</summary>
    public EmbeddedRedisServer? EmbeddedServer { get; }

    public bool IsEmbedded => EmbeddedServer is not null;

    /// <summary>Uses the configured server, or starts the embedded one when <see cref="RedisOptions.ConnectionString"/> is empty.</summary>
    public static RedisEndpoint Resolve(RedisOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new RedisEndpoint(options.ConnectionString, embeddedServer: null);
        }
        var server = new EmbeddedRedisServer(options.EmbeddedPort, loggerFactory, options.EmbeddedMemorySize,
            EmbeddedCompaction.Default with
            {
                SegmentSize = options.EmbeddedSegmentSize, Segments = options.EmbeddedCompactionSegments, Every = options.EmbeddedCompactionInterval,
            });
        return new RedisEndpoint(server.ConnectionString, server);
    }

    public void Dispose() => EmbeddedServer?.Dispose();
}
