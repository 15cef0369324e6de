using System.Threading.RateLimiting;
using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace FlowTok.Gateway.Auth;

/// <summary>
/// One token bucket per tenant holding a minute's worth of requests (<see cref="TenantInfo.RequestsPerMinute"/>), refilled
/// continuously. Requests without a tenant (health, metrics, docs) are not limited. Rejections answer 429 + Retry-After.
/// </summary>
public static class TenantRateLimit
{
    public static void Configure(RateLimiterOptions options)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            http.FindTenant() is { } tenant
                // The limit is part of the key so a changed limit takes effect with a fresh bucket.
                ? RateLimitPartition.GetTokenBucketLimiter($"{tenant.Id}|{tenant.RequestsPerMinute}", _ => Bucket(tenant.RequestsPerMinute))
                : RateLimitPartition.GetNoLimiter(""));
        options.OnRejected = async (context, _) =>
        {
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : TimeSpan.FromSeconds(1);
            var tenant = context.HttpContext.FindTenant();
            await Problems.TooManyRequests(context.HttpContext, retryAfter,
                $"rate limit of {tenant?.RequestsPerMinute} requests per minute exceeded", "rate_limit").ExecuteAsync(context.HttpContext);
        };
    }

    /// <summary>Bucket of <paramref name="requestsPerMinute"/> tokens, refilled every second (or one token per 60/rpm s for small limits).</summary>
    public static TokenBucketRateLimiterOptions Bucket(int requestsPerMinute)
    {
        int rpm = Math.Max(1, requestsPerMinute);
        bool perSecond = rpm >= 60;
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = rpm,
            TokensPerPeriod = perSecond ? rpm / 60 : 1,
            ReplenishmentPeriod = perSecond ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / rpm),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}
