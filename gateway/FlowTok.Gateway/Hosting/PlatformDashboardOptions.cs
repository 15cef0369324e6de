namespace FlowTok.Gateway.Hosting;

/// <summary>
/// Configuration section "Dashboard": the Orleans Dashboard at <c>/dashboard</c> (<see cref="OrleansDashboard"/>). It shows
/// grain ids, and job and tenant grains are keyed by tenant and job ids, so it is never public: it is served to a request
/// that presents the admin key (Gateway:AdminKey; as HTTP Basic password, any user name, so a browser can sign in, or as
/// 'Authorization: Bearer') and, in one-machine mode, to requests from this machine (loopback).
/// </summary>
public sealed class PlatformDashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>Serve /dashboard. Unset: on in one-machine mode (Localhost clustering), off in a cluster, where it must be set
    /// on every silo (each one collects the figures it shows) and the process that serves it.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Requests from loopback need no key. Unset: true in one-machine mode, false in a cluster (where a proxy on the
    /// same host would make every request look local).</summary>
    public bool? AllowLoopback { get; set; }

    public bool EffectiveEnabled(OrleansHostOptions cluster) => Enabled ?? !cluster.UsesRedisClustering;

    public bool EffectiveAllowLoopback(OrleansHostOptions cluster) => AllowLoopback ?? !cluster.UsesRedisClustering;
}
