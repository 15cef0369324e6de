namespace FlowTok.Gateway.Hosting;

/// <summary>What this process runs (<see cref="OrleansHostOptions.Role"/>).</summary>
public enum PlatformRole
{
    /// <summary>An Orleans silo (jobs, tenants, this node's model replicas, the queue consumers) and the HTTP API: one machine.</summary>
    All,

    /// <summary>An Orleans silo without the HTTP API (it serves /health/* and /metrics only): a model node of a cluster.</summary>
    Silo,

    /// <summary>A stateless Orleans client serving the HTTP API; a cluster can run several behind a load balancer.</summary>
    Gateway,
}

/// <summary>Configuration section "Cluster" (not "Orleans": Orleans reads that one itself): role, membership, this silo's identity.</summary>
public sealed class OrleansHostOptions
{
    public const string Section = "Cluster";

    public PlatformRole Role { get; set; } = PlatformRole.All;

    /// <summary>"Localhost" (one machine, default) or "Redis" (membership in the configured Redis: a cluster).</summary>
    public string Clustering { get; set; } = "Localhost";

    public string ClusterId { get; set; } = "flowtok";
    public string ServiceId { get; set; } = "flowtok-platform";

    /// <summary>This silo's name: model grains are keyed by it ("{silo}/{device}"). Default: "node-{machine name}".
    /// Unique per silo in a cluster.</summary>
    public string? SiloName { get; set; }

    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP address other silos and the gateways reach this silo on (Redis clustering). Default: this host's
    /// first non-loopback address; "127.0.0.1" for a cluster on one machine, the pod IP in Kubernetes.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>How long a grain call may take (a model call waits for its batch; large models take longer than 30 s).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a gateway waits for a grain's answer. Its calls (submit, a poll of at most 10 s) are short; a call
    /// whose silo died unanswered fails after this long and is retried, or answered 503.</summary>
    public TimeSpan GatewayResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM a silo stops taking queued work and finishes what it holds; it is stopped hard after this long.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failure detection: a silo missing <see cref="MissedProbesLimit"/> probes of this timeout is declared dead
    /// and its grains (jobs) move to the survivors. Orleans' defaults: 5 s and 3.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int MissedProbesLimit { get; set; } = 3;

    public string EffectiveSiloName => string.IsNullOrWhiteSpace(SiloName) ? $"node-{Environment.MachineName.ToLowerInvariant()}" : SiloName;

    public bool UsesRedisClustering => Clustering.Equals("Redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>Rejects combinations that cannot form a working cluster, with the setting to change.</summary>
    public void Validate(string? redisConnectionString)
    {
        if (!UsesRedisClustering && !Clustering.Equals("Localhost", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Cluster:Clustering '{Clustering}' is not Localhost or Redis");
        bool external = !string.IsNullOrWhiteSpace(redisConnectionString);
        if (UsesRedisClustering && !external)
            throw new InvalidOperationException("Cluster:Clustering Redis needs Redis:ConnectionString (the embedded server is private to one process)");
        if (Role == PlatformRole.Gateway && !external)
            throw new InvalidOperationException("Cluster:Role Gateway needs Redis:ConnectionString (the stores it shares with the silos)");
    }
}
