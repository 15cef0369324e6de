using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace FlowTok.ServiceDefaults.Resilience;

/// <summary>
/// Failures that pass by themselves in a cluster: the silo holding a job died or is stopping (its grains move to the
/// survivors once the membership notices), a call timed out, Redis is restarting.
/// </summary>
public static class TransientFailures
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>True when <paramref name="e"/> or an exception it wraps is one of these (Orleans wraps storage failures
    /// in its own exceptions, e.g. "Error from storage provider" around Orleans.Persistence.Redis.RedisStorageException).</summary>
    public static bool IsTransient(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            // TimeoutRejectedException: an attempt of a TransientRetry that got no answer in time (a silo that died unanswered).
            if (x is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or TimeoutRejectedException) return true;
            // A grain's storage could not be read or written (Orleans' wording): the store is away, not the request wrong.
            if (x is OrleansException && x.Message.StartsWith("Error from storage provider", StringComparison.Ordinal)) return true;
            // StackExchange.Redis' exceptions (connection loss, timeouts, "LOADING" after a restart) and the Orleans Redis
            // providers' (storage, clustering), also when the silo could only send the type's name.
            var type = x is Orleans.Serialization.UnavailableExceptionFallbackException fallback ? fallback.ExceptionType : x.GetType().FullName;
            if (type is not null && (type.Contains("Redis", StringComparison.Ordinal) || type.Contains("SiloUnavailable", StringComparison.Ordinal)))
                return true;
            if (x is AggregateException { InnerExceptions.Count: 1 } aggregate) return IsTransient(aggregate.InnerExceptions[0]);
        }
        return false;
    }
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
