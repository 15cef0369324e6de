namespace FlowTok.ServiceDefaults;

/// <summary>Who may read /metrics (configuration section "Metrics"). Its series name tenants and their device use, so it is
/// not public: with a token only requests bearing it; without one only requests from this machine (loopback).</summary>
public sealed class MetricsScrapeOptions
{
    public const string Section = "Metrics";

    /// <summary>The bearer token scrapers present (<c>Authorization: Bearer &lt;token&gt;</c>); at least 32 characters, no placeholder.
    /// Unset: only loopback clients (after trusted proxies' forwarded headers) may read /metrics.</summary>
    public string? ScrapeToken { get; set; }
}
