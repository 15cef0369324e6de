using System.Net;
using FlowTok.Gateway;
using FlowTok.Gateway.Hosting;
using FlowTok.Grains;
using FlowTok.Grains.Consumers;
using FlowTok.Grains.Jobs;
using FlowTok.Grains.Models;
using FlowTok.Grains.Placement;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Webhooks;
using FlowTok.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Orleans.Configuration;
using Orleans.Serialization;
using StackExchange.Redis;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// Builds a platform process for its <see cref="PlatformRole"/>: Redis (external or embedded); an Orleans silo (grains,
/// placement, Redis grain storage, MassTransit with the work consumers when it owns devices) or, for a gateway, an
/// Orleans client; the HTTP API (All, Gateway); and for every role the service defaults (OpenTelemetry, /health/*, /metrics).
/// </summary>
public static class PlatformHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // Content root = the application's folder, so its appsettings.json is read wherever it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var configuration = builder.Configuration;
        var cluster = configuration.GetSection(OrleansHostOptions.Section).Get<OrleansHostOptions>() ?? new();
        var redisConnection = configuration[$"{RedisOptions.Section}:{nameof(RedisOptions.ConnectionString)}"];
        cluster.Validate(redisConnection);
        if (cluster.Role != PlatformRole.Silo)
            (configuration.Get<TenantSeedOptions>() ?? new()).Validate(cluster.Role, redisConnection);
        var model = configuration.GetSection(ModelHostingOptions.Section).Get<ModelHostingOptions>() ?? new();
        if (cluster.Role == PlatformRole.Gateway) model.Enabled = false;
        if (model.Enabled && model.OpenMpSpinCount > 0) OpenMpSettings.ApplyServingDefault(model.OpenMpSpinCount);
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://127.0.0.1:5080");

        builder.AddServiceDefaults();
        var services = builder.Services;
        services.AddFlowTokRedis(configuration);
        services.AddHttpLimits(configuration);
        services.AddFlowTokWebhookOptions(configuration);
        services.Configure<ModelHostingOptions>(configuration.GetSection(ModelHostingOptions.Section));
        services.Configure<PlatformOptions>(configuration.GetSection(PlatformOptions.Section));
        // A tenant's job list remembers its jobs as long as the jobs themselves are kept.
        services.AddOptions<RedisOptions>().Configure<IOptions<PlatformOptions>>((redis, platform) => redis.JobHistoryTimeToLive = platform.Value.EffectiveJobRetention);
        services.Configure<OrleansHostOptions>(configuration.GetSection(OrleansHostOptions.Section));
        services.Configure<BusOptions>(configuration.GetSection(BusOptions.Section));
        services.Configure<TenantSeedOptions>(configuration);
        // A stopping silo drains: the bus (registered after Orleans, so stopped before it) finishes the work it holds.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = cluster.DrainTimeout);

        var dashboard = configuration.GetSection(PlatformDashboardOptions.Section).Get<PlatformDashboardOptions>() ?? new();
        services.Configure<PlatformDashboardOptions>(configuration.GetSection(PlatformDashboardOptions.Section));
        if (cluster.Role == PlatformRole.Gateway)
            builder.UseOrleansClient(client =>
            {
                client.ConfigureClient(cluster);
                if (dashboard.EffectiveEnabled(cluster)) OrleansDashboard.AddTo(client);
            });
        else
        {
            builder.UseOrleans(silo =>
            {
                silo.ConfigureSilo(cluster);
                if (dashboard.EffectiveEnabled(cluster)) silo.AddDashboard(o => o.HideTrace = true);
            });
            services.AddSingleton<LocalModels>();
            SiloShutdown.Register(services);
            services.AddBus(configuration, model);
            ModelWarmup.Register(services);
        }
        if (cluster.Role != PlatformRole.Silo)
        {
            services.AddGateway(configuration);
            services.AddHostedService<TenantSeeding>();
        }
        return builder;
    }

    /// <summary>Builds, maps and starts the platform in this process (tests, benchmarks); returns it and where it listens.
    /// <paramref name="services"/> may add to its services before it is built (a test's fault injection).</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(string[] args, Action<IServiceCollection>? services = null)
    {
        var builder = CreateBuilder(args);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapPlatform();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        return (app, new Uri(addresses.First()));
    }

    public static WebApplication MapPlatform(this WebApplication app)
    {
        var cluster = app.Services.GetRequiredService<IOptions<OrleansHostOptions>>().Value;
        if (cluster.Role != PlatformRole.Silo) app.MapGateway();
        app.MapDefaultEndpoints();
        var dashboard = app.Services.GetRequiredService<IOptions<PlatformDashboardOptions>>().Value;
        if (dashboard.EffectiveEnabled(cluster))
            OrleansDashboard.Map(app, dashboard, cluster, app.Configuration[$"{FlowTok.Gateway.GatewayOptions.Section}:{nameof(FlowTok.Gateway.GatewayOptions.AdminKey)}"]);
        return app;
    }

    private static void ConfigureSilo(this ISiloBuilder silo, OrleansHostOptions options)
    {
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        // Grain calls carry the caller's trace context (W3C): a request's grain calls are spans of its trace.
        silo.AddActivityPropagation();
        silo.Configure<ExceptionSerializationOptions>(GatewayClient.SerializeRedisExceptions);
        silo.Configure<SiloOptions>(o => o.SiloName = options.EffectiveSiloName);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        silo.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        silo.Configure<ClusterMembershipOptions>(o => (o.ProbeTimeout, o.NumMissedProbesLimit) = (options.ProbeTimeout, options.MissedProbesLimit));
        if (options.UsesRedisClustering)
        {
            var advertised = AdvertisedAddress(options);
            // A loopback cluster listens on loopback only; a real node on all its addresses (containers, several NICs).
            silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            silo.UseRedisClustering(_ => { });
            silo.Services.AddOptions<Orleans.Clustering.Redis.RedisClusteringOptions>().Configure<RedisEndpoint, IConnectionMultiplexer>(GatewayClient.UseShared);
        }
        else
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        silo.AddFlowTokGrainStorage();
        silo.AddFlowTokReservationSweep();
        silo.AddFlowTokWebhooks<FlowTok.Gateway.Jobs.JobWebhookBody>();
        // Finished jobs leave memory soon (Redis keeps them for Platform:JobRetention): a busy silo does not hold a
        // quarter of an hour of jobs as activations.
        silo.Services.AddOptions<GrainCollectionOptions>().Configure<IOptions<PlatformOptions>>((collection, platform) =>
            collection.ClassSpecificCollectionAge[typeof(FlowTok.Grains.Jobs.JobGrain).FullName!] =
                platform.Value.JobActivationIdle > collection.CollectionQuantum ? platform.Value.JobActivationIdle : collection.CollectionQuantum * 2);
        silo.Services.AddPlacementDirector<DevicePlacement, DevicePlacementDirector>();
    }

    private static IPAddress AdvertisedAddress(OrleansHostOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.AdvertisedAddress))
            return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => !IPAddress.IsLoopback(a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? IPAddress.Loopback;
        return IPAddress.TryParse(options.AdvertisedAddress, out var address) ? address
            : Dns.GetHostAddresses(options.AdvertisedAddress).FirstOrDefault()
              ?? throw new InvalidOperationException($"Cluster:AdvertisedAddress '{options.AdvertisedAddress}' is not an IP address or resolvable name");
    }

    private static void AddBus(this IServiceCollection services, IConfiguration configuration, ModelHostingOptions model)
    {
        var bus = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new();
        // Resolved at start: a bad Model:Served (an id twice, a device twice, a directory missing) stops the silo with the reason.
        var endpoints = ReceiveEndpoints.For(HostedModel.Resolve(model));
        bool rabbitMq = bus.Transport.Equals("RabbitMQ", StringComparison.OrdinalIgnoreCase);
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry(); // it would call out to masstransit.io

            ReceiveEndpoints.AddConsumers(x, endpoints);
            // The receive endpoints are connected by ReceiveEndpoints (not ConfigureEndpoints), which can replace them.
            if (rabbitMq)
                x.UsingRabbitMq((context, cfg) =>
                {
                    // Durable queues and persistent messages are MassTransit's defaults; a publish completes only when
                    // the broker confirms it, and a message is acknowledged only after its consumer (which stores the
                    // result first) returns.
                    cfg.Host(new Uri(bus.RabbitMq), host => host.PublisherConfirmation = true);
                    cfg.Durable = true;
                });
            else if (bus.Transport.Equals("InMemory", StringComparison.OrdinalIgnoreCase))
                x.UsingInMemory();
            else
                throw new InvalidOperationException($"Bus:Transport '{bus.Transport}' is not InMemory or RabbitMQ");
        });
        // Registered after the bus: started after it (the endpoints connect to the running bus) and stopped before it (a
        // draining silo's endpoints are never replaced; the bus stops them, finishing the work they hold).
        services.AddSingleton(sp => new ReceiveEndpoints(endpoints, sp.GetRequiredService<IReceiveEndpointConnector>(),
            sp.GetServices<IConfigureReceiveEndpoint>(), sp.GetRequiredService<ILogger<ReceiveEndpoints>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ReceiveEndpoints>());
        if (rabbitMq) services.AddHostedService<BrokerWatch>();
    }
}
