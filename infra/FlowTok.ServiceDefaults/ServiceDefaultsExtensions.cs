using FlowTok.Infrastructure.Redis;
using FlowTok.ServiceDefaults.Resilience;
using FlowTok.Infrastructure.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FlowTok.ServiceDefaults;

/// <summary>
/// The cross-cutting part of every FlowTok host, in two calls: <see cref="AddServiceDefaults"/> (OpenTelemetry, health checks,
/// platform metrics, the metrics scrape policy, the transient-failure rules: <see cref="TransientFailures"/>,
/// <see cref="TransientRetry"/>) and <see cref="MapDefaultEndpoints"/> (/health/live, /health/ready, /metrics).
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The tag of the health checks /health/ready runs (/health/live runs none: the process answers).</summary>
    public const string ReadyTag = "ready";

    /// <summary>Adds OpenTelemetry (<see cref="Telemetry"/>), the platform's meter, health checks and the /metrics access policy;
    /// returns the health checks builder for the host's readiness checks (tag them <see cref="ReadyTag"/>).</summary>
    public static IHealthChecksBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.AddTelemetry();
        builder.Services.AddPlatformMetrics();
        builder.Services.AddTransientFailureRules();
        builder.Services.AddOptions<MetricsScrapeOptions>().Bind(builder.Configuration.GetSection(MetricsScrapeOptions.Section))
            .Validate(o => o.ScrapeToken is null || ConfiguredKeys.Refusal("Metrics:ScrapeToken", o.ScrapeToken) is null,
                "Metrics:ScrapeToken must be at least 32 characters and not a placeholder (e.g. `openssl rand -hex 24`); leave it unset to serve /metrics to loopback clients only")
            .ValidateOnStart();
        return builder.Services.AddHealthChecks();
    }

    /// <summary>/health/live, /health/ready (the checks tagged <see cref="ReadyTag"/>) and /metrics (Prometheus text, for
    /// scrapers only: <see cref="MetricsEndpoint"/>).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        app.MapMetricsForScrapers();
        return app;
    }
}
