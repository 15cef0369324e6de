using FlowTok.Infrastructure.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowTok.Infrastructure.Redis;

/// <summary>
/// Watches the embedded Redis-protocol server's spill files (one-machine mode) every Redis:EmbeddedSpillCheckInterval:
/// their size is the gauge flowtok_platform_embedded_redis_spill_bytes, and a warning says when they pass
/// Redis:EmbeddedSpillWarningSize (default: the server's memory). Past that the live data has outgrown
/// Redis:EmbeddedMemorySize and compaction no longer keeps the files bounded (docs/OPERATIONS.md, "Storage soak"): nothing
/// is lost, but the disk fills. Does nothing with a configured Redis.
/// </summary>
public sealed partial class EmbeddedSpillWatch(RedisEndpoint endpoint, IOptions<RedisOptions> options, PlatformMetrics metrics,
    ILogger<EmbeddedSpillWatch> logger) : BackgroundService
{
    /// <summary>The size past which the watch warns, in bytes: the configured one (validated at start), else the memory size
    /// read as Garnet reads it (so any memory size the server took is one the watch takes).</summary>
    public static long WarningBytes(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.EmbeddedSpillWarningSize is { } size ? EmbeddedRedisServer.ParseSize(size) : Tsavorite.core.Utility.ParseSize(options.EmbeddedMemorySize);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (endpoint.EmbeddedServer is not { } server) return;
        var settings = options.Value;
        long limit = WarningBytes(settings);
        bool over = false;
        using var timer = new PeriodicTimer(settings.EmbeddedSpillCheckInterval);
        try
        {
            do
            {
                long bytes = server.SpillBytes;
                metrics.RecordEmbeddedSpill(bytes);
                if (bytes > limit && !over) LogOver(bytes >> 20, limit >> 20, settings.EmbeddedMemorySize);
                else if (bytes <= limit && over) LogBackUnder(bytes >> 20, limit >> 20);
                over = bytes > limit;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded Redis server's spill files hold {SpillMb} MB, past {LimitMb} MB " +
        "(Redis:EmbeddedSpillWarningSize): the live data has outgrown its memory (Redis:EmbeddedMemorySize {MemorySize}) and compaction " +
        "no longer keeps the files bounded. Raise Redis:EmbeddedMemorySize above the job rate x Platform:JobRetention x a job's records, " +
        "shorten the retention, or use a Redis server (Redis:ConnectionString).")]
    partial void LogOver(long spillMb, long limitMb, string memorySize);

    [LoggerMessage(Level = LogLevel.Information, Message = "The embedded Redis server's spill files are back under {LimitMb} MB ({SpillMb} MB).")]
    partial void LogBackUnder(long spillMb, long limitMb);
}
