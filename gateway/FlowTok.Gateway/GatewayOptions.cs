namespace FlowTok.Gateway;

/// <summary>Configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>How long a synchronous request (generations, captions) waits for its job before answering 504 with the job id.</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Base of the download URLs the API hands out ("https://api.example.com"); null = taken from each request
    /// (its scheme and host, as a trusted proxy forwarded them). Set, it decides links above all.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Addresses of reverse proxies whose X-Forwarded-Proto, -Host and -For are believed ("10.0.0.5"); from any
    /// other address those headers are ignored. None here or in <see cref="TrustedNetworks"/> = none is believed.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Networks of trusted reverse proxies, in CIDR notation ("10.0.0.0/8").</summary>
    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>Credential of the admin API (/admin: tenants' keys: create, list, revoke, rotate), sent as
    /// "Authorization: Bearer &lt;key&gt;"; at least 32 characters, no placeholder (refused at start-up). Unset = the admin
    /// API answers 403 to everyone.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Requests per minute from one client address that fail authentication (no key, a bad key) before that
    /// address is answered 429 + Retry-After without its keys being looked up (token bucket). The address is the
    /// connection's, or the X-Forwarded-For of a trusted proxy (<see cref="TrustedProxies"/>).</summary>
    public int UnauthenticatedRequestsPerMinute { get; set; } = 60;

    /// <summary>How long /health/ready answers with its last result before checking Redis and the model registry again.</summary>
    public TimeSpan ReadinessCacheTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Interval of the keep-alive comment on a job's event stream.</summary>
    public TimeSpan EventsKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Job event streams (GET /v1/jobs/{id}/events) one tenant may hold open at once in one gateway process;
    /// beyond it 429 (<c>too_many_event_streams</c>). Polling GET /v1/jobs/{id} is never limited by it.</summary>
    public int MaxEventStreamsPerTenant { get; set; } = 32;

    /// <summary>How long one attempt to submit a job (a grain call) may take before it is abandoned and made again; submitting
    /// is idempotent per job id. A call to a silo that died unanswered would otherwise wait for Cluster:GatewayResponseTimeout.
    /// A slow attempt that was abandoned still completes: the next attempt queues behind it on the job's grain and answers
    /// with the job it stored (a submission waits up to 10 s for the queue while the broker restarts).</summary>
    public TimeSpan GrainCallAttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a submission keeps being retried through transient cluster failures (a silo died, its grains not yet
    /// moved) before it is answered 503. Longer than the cluster takes to notice a dead silo (about Cluster:ProbeTimeout x
    /// Cluster:MissedProbesLimit, plus a probe period).</summary>
    public TimeSpan TransientRetryWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Key of the HMAC that signs download links (<see cref="FileLinks"/>); every gateway of a cluster must have the
    /// same one. Unset = a random key stored in Redis by the first gateway that needs it and shared by all that use that
    /// Redis (links then die with that Redis, e.g. with the one-machine platform's embedded one).</summary>
    public string? LinkSigningKey { get; set; }

    /// <summary>How long a signed download link works without the API key (the file itself may expire sooner).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(60);
}
