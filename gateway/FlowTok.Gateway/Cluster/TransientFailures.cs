using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlowTok.Gateway.Cluster;

/// <summary>
/// Failures that pass by themselves in a cluster: the silo holding a job died or is stopping (its grains move to the
/// survivors once the membership notices), a call timed out, Redis is restarting.
/// </summary>
public static class TransientFailures
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    public static bool IsTransient(Exception e) => e switch
    {
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException => true,
        // Connection loss, timeouts, and a restarted server still loading its data ("LOADING ...").
        RedisException => true,
        // An exception type the grain's silo could not send as itself.
        Orleans.Serialization.UnavailableExceptionFallbackException { ExceptionType: { } type } =>
            type.Contains("Redis", StringComparison.Ordinal) || type.Contains("SiloUnavailable", StringComparison.Ordinal),
        OrleansException { InnerException: { } inner } => IsTransient(inner),
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };
}

/// <summary>A transient cluster failure that reaches the top of a request is 503 with Retry-After, not 500.</summary>
public sealed class TransientFailureHandler(IProblemDetailsService problems, ILogger<TransientFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (!TransientFailures.IsTransient(exception)) return false;
        logger.LogWarning(exception, "Request {Path} hit a transient cluster failure", http.Request.Path);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = 503,
                Title = "Service Unavailable",
                Type = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
                Detail = "the platform is recovering from a node or store failure; retry shortly (with the same Idempotency-Key, if any)",
                Extensions = { ["retry_after"] = 1.ToString(CultureInfo.InvariantCulture) },
            },
        });
    }
}
