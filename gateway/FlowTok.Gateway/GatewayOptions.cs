namespace FlowTok.Gateway;

/// <summary>Configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>How long a synchronous request (generations, captions) waits for its job before answering 504 with the job id.</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Base of the download URLs the API hands out ("https://api.example.com"); null = taken from each request.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Interval of the keep-alive comment on a job's event stream.</summary>
    public TimeSpan EventsKeepAlive { get; set; } = TimeSpan.FromSeconds(15);
}
