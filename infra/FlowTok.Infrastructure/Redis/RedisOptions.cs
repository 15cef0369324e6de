namespace FlowTok.Infrastructure.Redis;

/// <summary>
/// Configuration section "Redis". With no <see cref="ConnectionString"/> the process runs an embedded Redis-protocol
/// server (Garnet) on loopback and connects to it, so the same client code runs with nothing installed.
/// </summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string ("localhost:6379,abortConnect=false"); null = embedded server.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Port of the embedded server; 0 picks a free one.</summary>
    public int EmbeddedPort { get; set; }

    /// <summary>
    /// Memory of the embedded server for keys and values ("256m", "2g"). Once this much has been written (expired values
    /// included), the oldest records move to files in a temporary directory, still readable, only slower; none is dropped.
    /// </summary>
    public string EmbeddedMemorySize { get; set; } = EmbeddedRedisServer.DefaultMemorySize;

    /// <summary>Segment size of the embedded server's log files ("32m"): compaction deletes whole segments.</summary>
    public string EmbeddedSegmentSize { get; set; } = EmbeddedCompaction.Default.SegmentSize;

    /// <summary>The embedded server compacts its log once the log's immutable part spans more than this many segments:
    /// memory plus disk stay within about this many segments beyond the live records.</summary>
    public int EmbeddedCompactionSegments { get; set; } = EmbeddedCompaction.Default.Segments;

    /// <summary>How often the embedded server checks whether to compact (whole seconds, at least 1). A write rate above
    /// the window (segments x segment size) per interval outgrows the window until the next check.</summary>
    public TimeSpan EmbeddedCompactionInterval { get; set; } = EmbeddedCompaction.Default.Every;

    /// <summary>
    /// Spill files beyond this size ("256m") mean the live data has outgrown <see cref="EmbeddedMemorySize"/>: compaction
    /// no longer keeps the files bounded, so the embedded server's watch logs a warning (and notes when they are back
    /// under). Null = the memory size. Their size is also the gauge flowtok_platform_embedded_redis_spill_bytes.
    /// </summary>
    public string? EmbeddedSpillWarningSize { get; set; }

    /// <summary>How often the embedded server's spill files are measured.</summary>
    public TimeSpan EmbeddedSpillCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Prefix of every key this platform writes (several platforms can share one Redis).</summary>
    public string KeyPrefix { get; set; } = "flowtok:";

    /// <summary>How long results (generated images, uploads) stay downloadable.</summary>
    public TimeSpan FileTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a cached output is served for an identical request.</summary>
    public TimeSpan OutputCacheTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a cached prompt encoding lives.</summary>
    public TimeSpan PromptCacheTimeToLive { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an Idempotency-Key keeps pointing at its job.</summary>
    public TimeSpan IdempotencyTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a tenant's job list (GET /v1/jobs) remembers a job; the platform host sets it to Platform:JobRetention,
    /// how long the jobs themselves are kept.</summary>
    public TimeSpan JobHistoryTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The most jobs a tenant's job list remembers (the oldest are dropped first).</summary>
    public int JobHistoryMaxJobs { get; set; } = 1000;

    /// <summary>How long a job's cancellation flag is remembered (longer than any job can stay queued or running).</summary>
    public TimeSpan CancellationTimeToLive { get; set; } = TimeSpan.FromHours(24);
}
