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
        // Asking for no permit consumes nothing and fails only when the bucket is empty.
        using var lease = limiter.AttemptAcquire(Address(http), 0);
        return !Acquired(lease, out retryAfter);
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

    bool Acquired(RateLimitLease lease, out TimeSpan retryAfter)
    {
        // A request for no permit gets no retry time from the bucket: the next token comes within one refill period.
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) && after > TimeSpan.Zero ? after
            : TenantRateLimit.Bucket(options.Value.UnauthenticatedRequestsPerMinute).ReplenishmentPeriod;
        return lease.IsAcquired;
    }

    static IPAddress Address(HttpContext http) => http.Connection.RemoteIpAddress ?? IPAddress.None;
}
