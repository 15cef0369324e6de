namespace FlowTok.Silo.Hosting;

/// <summary>Configuration section "Cluster" (not "Orleans": Orleans reads that one itself): membership and this silo's identity.</summary>
public sealed class OrleansHostOptions
{
    public const string Section = "Cluster";

    /// <summary>"Localhost" (one machine, default) or "Redis" (membership in the configured Redis).</summary>
    public string Clustering { get; set; } = "Localhost";

    public string ClusterId { get; set; } = "flowtok";
    public string ServiceId { get; set; } = "flowtok-platform";

    /// <summary>This silo's name: model grains are keyed by it ("{silo}/{device}"). Default: "node-{machine name}".</summary>
    public string? SiloName { get; set; }

    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How long a grain call may take (a model call waits for its batch; large models take longer than 30 s).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public string EffectiveSiloName => string.IsNullOrWhiteSpace(SiloName) ? $"node-{Environment.MachineName.ToLowerInvariant()}" : SiloName;
}
