using Microsoft.Extensions.DependencyInjection.Extensions;
using FlowTok.Gateway.Apis;
using FlowTok.Gateway.Auth;
using FlowTok.Gateway.Chat;
using FlowTok.ServiceDefaults.Resilience;
using FlowTok.Gateway.Health;
using FlowTok.Gateway.Jobs;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace FlowTok.Gateway;

/// <summary>
/// The gateway as two calls for a host: <see cref="AddGateway"/> and <see cref="MapGateway"/>. The host provides Orleans
/// (<see cref="IGrainFactory"/>) and the infrastructure stores (file store, output cache, idempotency, model registry, tenants).
/// </summary>
public static class GatewayExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section));
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayOptions>>((forwarded, gateway) => TrustedProxies.Configure(forwarded, gateway.Value));
        services.ConfigureHttpJsonOptions(o => GatewayJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);
        services.AddTransientFailureRules();
        services.AddOptions<GatewayOptions>().Validate(o => string.IsNullOrEmpty(o.AdminKey) || ConfiguredKeys.Refusal("Gateway:AdminKey", o.AdminKey) is null,
            "Gateway:AdminKey must be at least 32 characters and not a placeholder (e.g. `openssl rand -hex 24`); leave it unset to disable the admin API").ValidateOnStart();
        services.AddRateLimiter(TenantRateLimit.Configure);
        services.AddSingleton<FailedAuthentications>();
        services.AddOpenApi(o => o.AddDocumentTransformer(OpenApiDescription.Describe).AddSchemaTransformer(ChatContentSchema.Describe));
        // One instance: it keeps its last result (AddCheck<T> alone would create one per probe).
        services.AddSingleton<ReadinessCheck>();
        services.AddPlatformMetrics();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("models-and-redis", tags: [ReadinessCheck.Tag]);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ServedModels>();
        services.AddSingleton<JobSubmitter>();
        services.AddSingleton<QueuePositions>();
        services.AddSingleton<EventStreamLimiter>();
        services.AddSingleton<FileLinks>();
        return services;
    }

    /// <summary>Adds the gateway's middleware (forwarded headers from trusted proxies, errors as problem details, request
    /// durations, tenant authentication, rate limits) and maps its routes. Health and /metrics are the host's
    /// (ServiceDefaults).</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        if (TrustedProxies.AreConfigured(app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value)) app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseBoundedHttpMethods();
        app.UseMiddleware<RequestDurations>();
        app.UseMiddleware<TenantAuthentication>();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("FlowTok API"));
        app.MapImagesApi();
        app.MapChatApi();
        app.MapJobsApi();
        app.MapFilesApi();
        app.MapModelsApi();
        app.MapReplicasApi();
        app.MapUsageApi();
        app.MapWebhooksApi();
        app.MapAdminApi();
        app.MapPlaygroundApi();
        return app;
    }
}
