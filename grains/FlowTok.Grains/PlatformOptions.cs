namespace FlowTok.Grains;

/// <summary>Configuration section "Platform": platform-wide bounds.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>Items (images or captions) queued or running across the platform beyond which new jobs get 429.</summary>
    public int MaxQueuedItems { get; set; } = 512;

    /// <summary>A job not finished after this long fails with a timeout (its items are never waited for forever).</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Retry-After suggested when the platform queue is full.</summary>
    public TimeSpan QueueFullRetryAfter { get; set; } = TimeSpan.FromSeconds(2);
}
