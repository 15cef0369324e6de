namespace FlowTok.Grains;

/// <summary>Configuration section "Platform": platform-wide bounds.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>Items (images or captions) queued or running across the platform beyond which new jobs get 429.</summary>
    public int MaxQueuedItems { get; set; } = 512;

    /// <summary>Tenants with work queued divide <see cref="MaxQueuedItems"/> by weight; each may hold at least this many.</summary>
    public int MinQueuedItemsPerTenant { get; set; } = 8;

    /// <summary>A job not finished after this long fails with a timeout (its items are never waited for forever).</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a job's state stays in Redis after its last change: a finished job can be read (GET /v1/jobs/{id}) this long
    /// after it ended, then it is gone (404). Each change of a running job starts the period again, so a job never expires
    /// while it runs; it is kept at least <see cref="JobTimeout"/> plus a minute whatever is configured.
    /// </summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a job's activation stays in memory without calls (Orleans' idle collection; its default is 15 min).
    /// An open job stays active until its deadline whatever this says; a finished one is read from Redis if asked again.
    /// At least 1 min (Orleans' collection quantum).</summary>
    public TimeSpan JobActivationIdle { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan EffectiveJobRetention => JobRetention > JobTimeout + TimeSpan.FromMinutes(1) ? JobRetention : JobTimeout + TimeSpan.FromMinutes(1);

    /// <summary>How long an admitted caption job waits for the gateway to store its upload (it does so at once; a gateway
    /// that died in between) before it fails with <c>input_unavailable</c> and releases what admission reserved.</summary>
    public TimeSpan UploadWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// An item that started running and then went silent (no progress and no result) for this long is queued again: its
    /// result event was lost (the broker restarting as it was published) or its replica is gone. Each further time the
    /// wait doubles, and after <see cref="MaxItemRequeues"/> the job's deadline decides. A late original result wins;
    /// the duplicate is ignored. Zero turns the watch off.
    /// </summary>
    public TimeSpan ItemStallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times one item may be queued again after stalling (<see cref="ItemStallTimeout"/>).</summary>
    public int MaxItemRequeues { get; set; } = 3;

    /// <summary>
    /// How often the reservation sweep (a durable reminder) checks every admitted job's reservation against the job: one
    /// that ended, or was never stored, has its tenant slot and queue items returned, and one still open is woken (which
    /// re-arms its deadline). This bounds how long a fault (a lost release, a failed write after admission, a silo that
    /// died with a job's timers) can hold capacity: about this period plus <see cref="ReservationSweepGrace"/>.
    /// </summary>
    public TimeSpan ReservationSweepPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A reservation younger than this is left alone by the sweep: its job may still be being admitted.</summary>
    public TimeSpan ReservationSweepGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retry-After suggested when the platform queue is full.</summary>
    public TimeSpan QueueFullRetryAfter { get; set; } = TimeSpan.FromSeconds(2);
}
