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

    /// <summary>Interval of the keep-alive comment on a job's event stream.</summary>
    public TimeSpan EventsKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Job event streams (GET /v1/jobs/{id}/events) one tenant may hold open at once in one gateway process;
    /// beyond it 429 (<c>too_many_event_streams</c>). Polling GET /v1/jobs/{id} is never limited by it.</summary>
    public int MaxEventStreamsPerTenant { get; set; } = 32;
}
