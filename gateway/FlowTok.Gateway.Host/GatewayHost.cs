using FlowTok.Gateway.Hosting;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Webhooks;
using FlowTok.ServiceDefaults;

namespace FlowTok.Gateway.Host;

/// <summary>
/// The steps of <c>flowtok-gateway</c>: the configuration keys are those of <c>flowtok-platform --Cluster:Role Gateway</c>
/// (Cluster, Redis, Gateway, Http, Webhooks, Platform:JobRetention/JobTimeout, Tenants, Dashboard).
/// </summary>
public static class GatewayHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // Content root = the application's folder, so its appsettings.json is read wherever it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        builder.AddServiceDefaults();
        return builder;
    }

    /// <summary>Reads and checks section "Cluster" (role Gateway: a Redis connection is required) and the configured tenants.</summary>
    public static OrleansHostOptions ReadClusterSettings(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var cluster = configuration.GetSection(OrleansHostOptions.Section).Get<OrleansHostOptions>() ?? new();
        if (cluster.Role != PlatformRole.Gateway && !string.IsNullOrEmpty(configuration[$"{OrleansHostOptions.Section}:{nameof(OrleansHostOptions.Role)}"]))
            throw new InvalidOperationException($"Cluster:Role {cluster.Role}: flowtok-gateway is a gateway only; run flowtok-platform for a silo");
        cluster.Role = PlatformRole.Gateway;
        var redisConnection = configuration[$"{RedisOptions.Section}:{nameof(RedisOptions.ConnectionString)}"];
        cluster.Validate(redisConnection);
        (configuration.Get<TenantSeedOptions>() ?? new()).Validate(cluster.Role, redisConnection);
        builder.Services.Configure<OrleansHostOptions>(configuration.GetSection(OrleansHostOptions.Section));
        builder.Services.PostConfigure<OrleansHostOptions>(o => o.Role = PlatformRole.Gateway);
        return cluster;
    }

    /// <summary>The Orleans client (membership from Redis), and the dashboard's client half when it is on.</summary>
    public static void AddClusterClient(this WebApplicationBuilder builder, OrleansHostOptions cluster)
    {
        var section = builder.Configuration.GetSection(PlatformDashboardOptions.Section);
        var dashboard = section.Get<PlatformDashboardOptions>() ?? new();
        builder.Services.Configure<PlatformDashboardOptions>(section);
        builder.UseOrleansClient(client =>
        {
            client.ConfigureClient(cluster);
            if (dashboard.EffectiveEnabled(cluster)) OrleansDashboard.AddTo(client);
        });
    }

    /// <summary>Redis stores, HTTP limits, webhook options, the API's services and the tenant seeding.</summary>
    public static void AddHttpApi(this WebApplicationBuilder builder)
    {
        var (services, configuration) = (builder.Services, builder.Configuration);
        services.AddFlowTokRedis(configuration);
        services.AddHttpLimits(configuration);
        services.AddFlowTokWebhookOptions(configuration);
        var retention = JobRetention.Read(configuration);
        services.PostConfigure<RedisOptions>(redis => redis.JobHistoryTimeToLive = retention);
        services.Configure<TenantSeedOptions>(configuration);
        services.AddGateway(configuration);
        services.AddHostedService<TenantSeeding>();
    }

    /// <summary>The API, /health/* and /metrics, and /dashboard when it is on.</summary>
    public static void MapHttpApi(this WebApplication app, OrleansHostOptions cluster)
    {
        app.MapGateway();
        app.MapDefaultEndpoints();
        var dashboard = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PlatformDashboardOptions>>().Value;
        if (dashboard.EffectiveEnabled(cluster))
            OrleansDashboard.Map(app, dashboard, cluster, app.Configuration[$"{GatewayOptions.Section}:{nameof(GatewayOptions.AdminKey)}"]);
    }
}
