using FlowTok.Infrastructure.Observability;
using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Redis for this process: options from section "Redis"; a <see cref="RedisEndpoint"/> (starting the embedded server
    /// when no connection string is set); one <see cref="IConnectionMultiplexer"/>; every store as a singleton; and
    /// <see cref="PlatformMetrics"/>.
    /// </summary>
    public static IServiceCollection AddFlowTokRedis(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section))
            .Validate(o => o.EmbeddedSpillWarningSize is null || EmbeddedRedisServer.TryParseSize(o.EmbeddedSpillWarningSize, out _),
                "Redis:EmbeddedSpillWarningSize must be a size like 256m, 512k or 2g")
            .Validate(o => o.EmbeddedSpillCheckInterval > TimeSpan.Zero, "Redis:EmbeddedSpillCheckInterval must be positive")
            .ValidateOnStart();

        // The endpoint is resolved before the multiplexer, so the embedded server is listening before anyone connects,
        // and (created first) it is disposed after the multiplexer at shutdown.
        services.TryAddSingleton(provider => RedisEndpoint.Resolve(
            provider.GetRequiredService<IOptions<RedisOptions>>().Value,
            provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton<IConnectionMultiplexer>(provider => Connect(provider.GetRequiredService<RedisEndpoint>().ConnectionString));

        services.AddPlatformMetrics();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EmbeddedSpillWatch>());
        services.TryAddSingleton<IFileStore, RedisFileStore>();
        services.TryAddSingleton<IOutputCache, RedisOutputCache>();
        services.TryAddSingleton<IPromptCache, RedisPromptCache>();
        services.TryAddSingleton<IIdempotencyStore, RedisIdempotencyStore>();
        services.TryAddSingleton<IJobHistory, RedisJobHistory>();
        services.TryAddSingleton<ICancellationSignals, RedisCancellationSignals>();
        services.TryAddSingleton<IAdmissionCounter, RedisAdmissionCounter>();
        services.TryAddSingleton<IModelRegistry, RedisModelRegistry>();
        services.TryAddSingleton<ITenantDirectory, RedisTenantDirectory>();
        return services;
    }

    /// <summary>The "FlowTok.Platform" meter and its instruments (<see cref="PlatformMetrics"/>), once per process.</summary>
    public static IServiceCollection AddPlatformMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton<PlatformMetrics>();
        return services;
    }

    /// <summary>
    /// Connects with completions on the .NET thread pool instead of StackExchange.Redis' dedicated I/O threads: on a
    /// CPU model node every extra thread hand-off (futex wake, context switch) is taken from libtorch's cores
    /// (profiled: the dedicated scheduler was a third of the platform's CPU samples under load).
    /// </summary>
    public static ConnectionMultiplexer Connect(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.SocketManager = SocketManager.ThreadPool;
        return ConnectionMultiplexer.Connect(options);
    }
}
