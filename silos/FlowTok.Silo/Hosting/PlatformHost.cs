using FlowTok.Gateway;
using FlowTok.Grains;
using FlowTok.Grains.Consumers;
using FlowTok.Grains.Models;
using FlowTok.Grains.Placement;
using FlowTok.Infrastructure.Redis;
using MassTransit;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// Builds the platform process: Redis (external or embedded), the Orleans silo (grains, placement, Redis grain storage),
/// MassTransit (in-memory or RabbitMQ) with the work consumers on silos that own devices, and the gateway.
/// </summary>
public static class PlatformHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var model = builder.Configuration.GetSection(ModelHostingOptions.Section).Get<ModelHostingOptions>() ?? new();
        if (model.Enabled && model.OpenMpSpinCount > 0) OpenMpSettings.ApplyServingDefault(model.OpenMpSpinCount);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        builder.Services.AddPlatformServices(builder.Configuration, model);
        builder.UseOrleans(silo => silo.ConfigureSilo(builder.Configuration));
        builder.Services.AddGateway(builder.Configuration);
        // After the silo: these talk to grains.
        builder.Services.AddHostedService<ModelWarmup>();
        builder.Services.AddHostedService<TenantSeeding>();
        return builder;
    }

    /// <summary>Builds, maps and starts the platform in this process (tests, benchmarks); returns it and where it listens.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(string[] args)
    {
        var app = CreateBuilder(args).Build();
        app.MapPlatform();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        return (app, new Uri(addresses.First()));
    }

    public static WebApplication MapPlatform(this WebApplication app)
    {
        app.MapGateway();
        return app;
    }

    private static IServiceCollection AddPlatformServices(this IServiceCollection services, IConfiguration configuration, ModelHostingOptions model)
    {
        services.AddFlowTokRedis(configuration);
        services.Configure<ModelHostingOptions>(configuration.GetSection(ModelHostingOptions.Section));
        services.Configure<PlatformOptions>(configuration.GetSection(PlatformOptions.Section));
        services.Configure<OrleansHostOptions>(configuration.GetSection(OrleansHostOptions.Section));
        services.Configure<BusOptions>(configuration.GetSection(BusOptions.Section));
        services.Configure<TenantSeedOptions>(configuration);
        services.AddSingleton<LocalModels>();
        services.AddBus(configuration, model);
        return services;
    }

    private static void ConfigureSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = configuration.GetSection(OrleansHostOptions.Section).Get<OrleansHostOptions>() ?? new();
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        silo.Configure<SiloOptions>(o => o.SiloName = options.EffectiveSiloName);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        silo.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
        if (options.Clustering.Equals("Redis", StringComparison.OrdinalIgnoreCase))
        {
            silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort);
            silo.UseRedisClustering(_ => { });
            silo.Services.AddOptions<Orleans.Clustering.Redis.RedisClusteringOptions>()
                .Configure<RedisEndpoint, IConnectionMultiplexer>((o, endpoint, redis) =>
                {
                    o.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
                    o.CreateMultiplexer = _ => Task.FromResult((redis, true));
                });
        }
        else if (options.Clustering.Equals("Localhost", StringComparison.OrdinalIgnoreCase))
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        else
            throw new InvalidOperationException($"Cluster:Clustering '{options.Clustering}' is not Localhost or Redis");
        foreach (var name in new[] { StorageNames.Jobs, StorageNames.Tenants })
            // Orleans' Redis providers reuse the process's one multiplexer (embedded server or external Redis).
            silo.AddRedisGrainStorage(name, (OptionsBuilder<Orleans.Persistence.RedisStorageOptions> o) =>
                o.Configure<RedisEndpoint, IConnectionMultiplexer, Orleans.Serialization.Serializer>((s, endpoint, redis, serializer) =>
                {
                    s.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
                    s.CreateMultiplexer = _ => Task.FromResult((redis, true));
                    // Orleans' binary format instead of the default Newtonsoft JSON (a hot path: two writes per job).
                    s.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer);
                }));
        silo.Services.AddPlacementDirector<DevicePlacement, DevicePlacementDirector>();
    }

    private static void AddBus(this IServiceCollection services, IConfiguration configuration, ModelHostingOptions model)
    {
        var bus = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new();
        services.AddMassTransit(x =>
        {
            if (model.EffectiveDevices.Count > 0)
            {
                x.AddConsumer<GenerateImageConsumer, WorkConsumerDefinition<GenerateImageConsumer>>();
                x.AddConsumer<CaptionImageConsumer, WorkConsumerDefinition<CaptionImageConsumer>>();
            }
            x.AddConsumer<ImageGeneratedConsumer>();
            x.AddConsumer<ImageCaptionedConsumer>();
            x.AddConsumer<GenerationFailedConsumer>();
            x.AddConsumer<WorkFaultConsumer>();
            if (bus.Transport.Equals("RabbitMQ", StringComparison.OrdinalIgnoreCase))
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(new Uri(bus.RabbitMq));
                    cfg.ConfigureEndpoints(context);
                });
            else if (bus.Transport.Equals("InMemory", StringComparison.OrdinalIgnoreCase))
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            else
                throw new InvalidOperationException($"Bus:Transport '{bus.Transport}' is not InMemory or RabbitMQ");
        });
    }
}
