using FlowTok.Infrastructure.Tenants;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace FlowTok.Silo.Hosting;

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
}

public sealed class TenantSeedOptions
{
    public List<TenantSeed> Tenants { get; set; } = [];

    /// <summary>"Platform:DevelopmentKey": the key of tenant "dev" in one-machine mode; empty = a new random key each start.
    /// Set "Platform:DevelopmentTenant" to false to have no development tenant (clusters).</summary>
    public PlatformSection Platform { get; set; } = new();

    public sealed class PlatformSection
    {
        public bool DevelopmentTenant { get; set; } = true;
        public string? DevelopmentKey { get; set; }
        public int DevelopmentRequestsPerMinute { get; set; } = 6000;
    }
}

/// <summary>
/// Registers the configured tenants and, in one-machine mode, a development tenant, then prints where the API
/// listens and the development key.
/// </summary>
public sealed class TenantSeeding(
    ITenantDirectory tenants,
    IOptions<TenantSeedOptions> options,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<TenantSeeding> logger) : BackgroundService
{
    public const string DevelopmentTenantId = "dev";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var seed in options.Value.Tenants)
        {
            if (string.IsNullOrWhiteSpace(seed.Id) || string.IsNullOrWhiteSpace(seed.Key))
                throw new InvalidOperationException("every entry of Tenants needs an Id and a Key");
            await tenants.AddKeyAsync(ToInfo(seed), seed.Key);
        }
        var platform = options.Value.Platform;
        string? developmentKey = null;
        if (platform.DevelopmentTenant)
        {
            var dev = new TenantInfo { Id = DevelopmentTenantId, Name = "development", RequestsPerMinute = platform.DevelopmentRequestsPerMinute, MaxConcurrentJobs = 64 };
            if (string.IsNullOrWhiteSpace(platform.DevelopmentKey)) developmentKey = await tenants.CreateKeyAsync(dev);
            else
            {
                await tenants.AddKeyAsync(dev, platform.DevelopmentKey);
                developmentKey = platform.DevelopmentKey;
            }
        }
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
    };
}
