using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway;

/// <summary>
/// Configuration section "Http": what one client may hold of a platform process's HTTP server (Kestrel), for every role.
/// Beyond a limit Kestrel answers for itself: 431 (headers), 413 (body), a closed connection (too many connections, a body
/// sent slower than the minimum rate).
/// </summary>
public sealed class HttpLimitsOptions
{
    public const string Section = "Http";

    /// <summary>Open connections at once (HTTP/1.1 and HTTP/2); further ones are closed at once. Null = no limit.</summary>
    public long? MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>Open upgraded connections (WebSockets) at once; the API has none, so a handful. Null = no limit.</summary>
    public long? MaxConcurrentUpgradedConnections { get; set; } = 100;

    /// <summary>Headers in one request (431 beyond).</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Total size of one request's headers in bytes (431 beyond).</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Largest request body any route takes (413 beyond): a JSON caption with a base64 image. Routes take less
    /// where they need less (a generation 64 KiB, a multipart caption its image limit plus 64 KiB).</summary>
    public long MaxRequestBodySize { get; set; } = CaptionInputs.MaxJsonBodyBytes;

    /// <summary>Slowest accepted request body, bytes per second, after <see cref="MinRequestBodyGracePeriod"/>: a client
    /// trickling a body is disconnected instead of holding a connection and a buffer.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time to receive a request's headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public void ApplyTo(KestrelServerLimits limits)
    {
        limits.MaxConcurrentConnections = MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = MaxConcurrentUpgradedConnections;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.MinRequestBodyDataRate = new MinDataRate(MinRequestBodyBytesPerSecond, MinRequestBodyGracePeriod);
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
    }
}

public static class HttpLimitsExtensions
{
    /// <summary>Binds <see cref="HttpLimitsOptions"/> and applies them to Kestrel.</summary>
    public static IServiceCollection AddHttpLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpLimitsOptions>().Bind(configuration.GetSection(HttpLimitsOptions.Section));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpLimitsOptions>>((kestrel, limits) => limits.Value.ApplyTo(kestrel.Limits));
        return services;
    }
}
