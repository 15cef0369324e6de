using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Prometheus;

namespace FlowTok.ServiceDefaults;

/// <summary>
/// /metrics: the one Prometheus endpoint of a process. prometheus-net exports every System.Diagnostics.Metrics meter
/// (the platform's "FlowTok.Platform", ASP.NET Core's HTTP meters, …) under stable names (<c>flowtok_platform_*</c>). The
/// series name tenants and their device use, so the endpoint answers only scrapers (<see cref="MetricsScrapeOptions"/>):
/// 401 without the configured token, 404 to a non-loopback client when none is configured.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IEndpointConventionBuilder MapMetricsForScrapers(this WebApplication app)
    {
        // Histogram buckets: the batch-size histogram counts items, not seconds.
        Metrics.ConfigureMeterAdapter(o =>
        {
            var seconds = o.ResolveHistogramBuckets;
            o.ResolveHistogramBuckets = instrument => instrument.Name == "batch_size" ? [1, 2, 4, 8, 16, 32, 64] : seconds(instrument);
        });
        // prometheus-net starts exporting System.Diagnostics.Metrics meters at its first collection; collect once now so
        // measurements made before the first scrape are not lost.
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();

        // The check is part of the endpoint (not a middleware before routing), so it sees the client address after the
        // gateway's forwarded-headers middleware, wherever the host put that.
        var export = ((IEndpointRouteBuilder)app).CreateApplicationBuilder()
            .UseMiddleware<MetricServerMiddleware>(new MetricServerMiddleware.Settings { Registry = Metrics.DefaultRegistry })
            .Build();
        var options = app.Services.GetRequiredService<IOptions<MetricsScrapeOptions>>().Value;
        return app.Map(Path, context => Refusal(context, options.ScrapeToken) is { } status ? Refuse(context, status) : export(context));
    }

    /// <summary>The status to refuse the request with, or null when it may read the metrics.</summary>
    internal static int? Refusal(HttpContext context, string? token)
    {
        if (string.IsNullOrEmpty(token))
            return context.Connection.RemoteIpAddress is { } client && IPAddress.IsLoopback(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client)
                ? null : StatusCodes.Status404NotFound;
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return StatusCodes.Status401Unauthorized;
        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(token)) ? null : StatusCodes.Status401Unauthorized;
    }

    private static Task Refuse(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        return Task.CompletedTask;
    }
}
