using FlowTok.Infrastructure.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlowTok.ServiceDefaults;

/// <summary>
/// OpenTelemetry for a host: one trace per request across HTTP, Orleans grain calls and MassTransit messages (W3C trace
/// context), the platform's own spans (<see cref="PlatformTracing"/>), metrics and logs (log records carry the trace and span
/// ids). Export is by OTLP, configured by the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS,
/// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) and off while OTEL_EXPORTER_OTLP_ENDPOINT is unset.
/// </summary>
public static class Telemetry
{
    /// <summary>MassTransit 8's spans (publish, send, receive, consume); it carries the trace context in message headers.</summary>
    public const string MassTransitSource = "MassTransit";

    /// <summary>Orleans' spans of application grain calls (its runtime's own calls, e.g. membership probes, are left out).</summary>
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application";

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service (the resource detectors read it); else the application.
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"])) resource.AddService(builder.Environment.ApplicationName);
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(PlatformMetrics.MeterName, MassTransitSource))
            .WithTracing(tracing => tracing
                .AddSource(PlatformTracing.SourceName, MassTransitSource, OrleansApplicationSource)
                .AddAspNetCoreInstrumentation(o => o.Filter = IsTraced)
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            telemetry.UseOtlpExporter();
        return builder;
    }

    /// <summary>Probes and scrapes are not traced: they would be most of the traces and tell nothing.</summary>
    private static bool IsTraced(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(MetricsEndpoint.Path);
}
