using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Auth;

/// <summary>
/// Per client address, a token bucket of <see cref="GatewayOptions.UnauthenticatedRequestsPerMinute"/> failed
/// authentications (ASP.NET Core's partitioned rate limiter, idle buckets dropped by it). An address with none left is
/// answered 429 before its key is looked up, so guessing keys costs the guesser, not Redis. The address is
/// <see cref="ConnectionInfo.RemoteIpAddress"/>: a trusted proxy's X-Forwarded-For once the forwarded headers middleware
/// has run (<see cref="TrustedProxies"/>), the connection's otherwise.
/// </summary>
public sealed class FailedAuthentications(IOptions<GatewayOptions> options) : IDisposable
{
    readonly PartitionedRateLimiter<IPAddress> limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => TenantRateLimit.Bucket(options.Value.UnauthenticatedRequestsPerMinute)));

    /// <summary>Whether the client's address has used its failures up; <paramref name="retryAfter"/> says until when.</summary>
    public bool IsBlocked(HttpContext http, out TimeSpan retryAfter)
    {
        // Statistics consume nothing (an attempt to acquire no permit succeeds even from an empty bucket).
        retryAfter = RefillPeriod;
        return limiter.GetStatistics(Address(http)) is { CurrentAvailablePermits: <= 0 };
    }

    /// <summary>Counts one failure; false (with <paramref name="retryAfter"/>) when the address had none left.</summary>
    public bool TryCountFailure(HttpContext http, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(Address(http));
        return Acquired(lease, out retryAfter);
    }

    /// <summary>The 429 (with Retry-After) for an address that has used its failures up.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooMany(HttpContext http, TimeSpan retryAfter) =>
        Problems.TooManyRequests(http, retryAfter, "too many requests without a valid key from this address", "authentication_rate_limit");

    public void Dispose() => limiter.Dispose();

    TimeSpan RefillPeriod => TenantRateLimit.Bucket(options.Value.UnauthenticatedRequestsPerMinute).ReplenishmentPeriod;

    bool Acquired(RateLimitLease lease, out TimeSpan retryAfter)
    {
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) && after > TimeSpan.Zero ? after : RefillPeriod;
        return lease.IsAcquired;
    }

    static IPAddress Address(HttpContext http) => http.Connection.RemoteIpAddress ?? IPAddress.None;
}
