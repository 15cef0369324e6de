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
}
