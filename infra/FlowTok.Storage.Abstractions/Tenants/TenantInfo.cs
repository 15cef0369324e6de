namespace FlowTok.Storage.Tenants;

/// <summary>A tenant and its limits. API keys are never stored, only their SHA-256.</summary>
public sealed record TenantInfo
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    /// <summary>Requests per minute (token bucket refilled every second).</summary>
    public int RequestsPerMinute { get; init; } = 600;
    public int MaxConcurrentJobs { get; init; } = 16;
    /// <summary>Outputs (images or captions) the tenant may produce in total; 0 = unlimited.</summary>
    public long ItemQuota { get; init; }
    /// <summary>Share weight: device time and queue space are divided among tenants in proportion (default 1).</summary>
    public double Weight { get; init; } = 1;
    /// <summary>Device seconds the tenant may use in total (metered per sampler step); 0 = unlimited.</summary>
    public double DeviceSecondsQuota { get; init; }
    /// <summary>The webhook of the tenant's async jobs that name none (<c>webhook_url</c>); null: none.</summary>
    public string? WebhookUrl { get; init; }
}
