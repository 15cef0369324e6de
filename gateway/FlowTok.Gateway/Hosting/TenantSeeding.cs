using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Hosting;

/// <summary>A tenant as configured (section "Tenants"): its limits and its API key (stored only as a hash).</summary>
public sealed class TenantSeed
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public int RequestsPerMinute { get; set; } = 600;
    public int MaxConcurrentJobs { get; set; } = 16;
    public long ItemQuota { get; set; }
    /// <summary>Share weight: device time and queue space are divided among tenants in proportion (default 1).</summary>
    public double Weight { get; set; } = 1;
    /// <summary>Device seconds the tenant may use in total; at or past it, new work gets 429 insufficient_quota (0 = unlimited).</summary>
    public double DeviceSecondsQuota { get; set; }
    /// <summary>The default webhook of the tenant's async jobs (a request's <c>webhook_url</c> overrides it); unset: none.</summary>
    public string? WebhookUrl { get; set; }
}

public sealed class TenantSeedOptions
{
    public List<TenantSeed> Tenants { get; set; } = [];

    /// <summary>"Platform:DevelopmentKey": the key of tenant "dev" in one-machine mode; empty = a new random key each start.
    /// Set "Platform:DevelopmentTenant" to false to have no development tenant. A cluster never has one (see
    /// <see cref="HasDevelopmentTenant"/>).</summary>
    public PlatformSection Platform { get; set; } = new();

    /// <summary>The development tenant exists only in the one-machine default: role All with the embedded Redis. Any other
    /// role, or a configured Redis (whose data other processes share and outlives this one), has only configured tenants.</summary>
    public static bool IsOneMachine(PlatformRole role, string? redisConnectionString) =>
        role == PlatformRole.All && string.IsNullOrWhiteSpace(redisConnectionString);

    public bool HasDevelopmentTenant(PlatformRole role, string? redisConnectionString) =>
        Platform.DevelopmentTenant && IsOneMachine(role, redisConnectionString);

    /// <summary>Refuses, with the setting to change, tenants without an id, keys that are placeholders or short, and a
    /// development key where no development tenant can exist.</summary>
    public void Validate(PlatformRole role, string? redisConnectionString)
    {
        for (var i = 0; i < Tenants.Count; i++)
        {
            if (!RedisTenantDirectory.IsValidTenantId(Tenants[i].Id))
                throw new InvalidOperationException($"Tenants:{i}:Id must be set, with only ASCII letters, digits, '-', '_' and '.'");
            ConfiguredKeys.Check($"Tenants:{i}:Key", Tenants[i].Key);
        }
        if (string.IsNullOrWhiteSpace(Platform.DevelopmentKey)) return;
        if (!IsOneMachine(role, redisConnectionString))
            throw new InvalidOperationException("Platform:DevelopmentKey is set, but a development tenant exists only on one machine "
                + "(Cluster:Role All with the embedded Redis, no Redis:ConnectionString): configure the cluster's tenants under Tenants");
        ConfiguredKeys.Check("Platform:DevelopmentKey", Platform.DevelopmentKey);
    }

    public sealed class PlatformSection
    {
        public bool DevelopmentTenant { get; set; } = true;
        public string? DevelopmentKey { get; set; }
        public int DevelopmentRequestsPerMinute { get; set; } = 6000;
    }
}

/// <summary>
/// Registers the configured tenants and, in one-machine mode, a development tenant, then prints where the API
/// listens and the development key. Anywhere else it removes a development tenant left in the shared Redis (by an older
/// version or a misconfigured process) unless the operator configured one by that id.
/// </summary>
public sealed class TenantSeeding(
    ITenantDirectory tenants,
    IOptions<TenantSeedOptions> options,
    IOptions<OrleansHostOptions> cluster,
    IOptions<RedisOptions> redis,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<TenantSeeding> logger) : BackgroundService, IHostedLifecycleService
{
    public const string DevelopmentTenantId = "dev";

    private string? developmentKey;

    /// <summary>Writes the configured tenants (and the development tenant) before any hosted service starts, the HTTP server
    /// included: a request with a configured key never arrives before its key exists (it would be refused, and the refusal
    /// remembered for a while).</summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        bool development = options.Value.HasDevelopmentTenant(cluster.Value.Role, redis.Value.ConnectionString);
        if (!development && options.Value.Tenants.All(t => t.Id != DevelopmentTenantId) && await tenants.RemoveAsync(DevelopmentTenantId))
            logger.LogWarning("Removed the development tenant '{Tenant}' from Redis: it exists only on one machine", DevelopmentTenantId);
        foreach (var seed in options.Value.Tenants)
            await tenants.AddKeyAsync(ToInfo(seed), seed.Key);
        var platform = options.Value.Platform;
        if (development)
        {
            var dev = new TenantInfo { Id = DevelopmentTenantId, Name = "development", RequestsPerMinute = platform.DevelopmentRequestsPerMinute, MaxConcurrentJobs = 64 };
            if (string.IsNullOrWhiteSpace(platform.DevelopmentKey)) developmentKey = await tenants.CreateKeyAsync(dev);
            else
            {
                await tenants.AddKeyAsync(dev, platform.DevelopmentKey);
                developmentKey = platform.DevelopmentKey;
            }
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Once the server listens: where, and the development key.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WhenStarted(stoppingToken);
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var url in urls)
            logger.LogInformation("FlowTok platform listening on {Url} (API page {Url}/docs)", url, url);
        if (developmentKey is not null)
        {
            var url = urls.FirstOrDefault() ?? "http://127.0.0.1:5080";
            Console.WriteLine();
            Console.WriteLine($"  FlowTok platform: {url}   (API page: {url}/docs)");
            Console.WriteLine($"  Development key:  {developmentKey}");
            Console.WriteLine($"  Try: curl -s {url}/v1/images/generations -H \"Authorization: Bearer {developmentKey}\" \\");
            Console.WriteLine("         -H 'Content-Type: application/json' -d '{\"prompt\":\"a large red circle in the center on a blue background\"}'");
            Console.WriteLine();
        }
    }

    private Task WhenStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        stoppingToken.Register(() => started.TrySetCanceled());
        return started.Task;
    }

    private static TenantInfo ToInfo(TenantSeed seed) => new()
    {
        Id = seed.Id,
        Name = seed.Name,
        RequestsPerMinute = seed.RequestsPerMinute,
        MaxConcurrentJobs = seed.MaxConcurrentJobs,
        ItemQuota = seed.ItemQuota,
        Weight = seed.Weight,
        DeviceSecondsQuota = seed.DeviceSecondsQuota,
        WebhookUrl = seed.WebhookUrl,
    };
}
