using System.Diagnostics;
using FlowTok.Infrastructure.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway;

/// <summary>
/// Records every API request's duration on the platform meter (flowtok_request_duration_seconds, endpoint = method and
/// route pattern). Event streams are left out: they last as long as the job.
/// </summary>
public sealed class RequestDurations(RequestDelegate next, PlatformMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments("/v1"))
        {
            await next(http);
            return;
        }
        long started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            if (http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && !pattern.EndsWith("/events", StringComparison.Ordinal))
                metrics.RecordRequestDuration($"{http.Request.Method} {pattern}", Stopwatch.GetElapsedTime(started));
        }
    }
}
