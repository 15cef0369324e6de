using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// Caps the job event streams (Server-Sent Events) a tenant holds open in this gateway process at
/// <see cref="GatewayOptions.MaxEventStreamsPerTenant"/>: each holds a connection and a long-poll on its job, so one
/// tenant's clients must not take them all. Counted per tenant; another tenant's streams never count.
/// </summary>
public sealed class EventStreamLimiter(IOptions<GatewayOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(tenantId =>
        RateLimitPartition.GetConcurrencyLimiter(tenantId, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.MaxEventStreamsPerTenant),
            QueueLimit = 0,
        }));

    public int Limit => Math.Max(1, options.Value.MaxEventStreamsPerTenant);

    /// <summary>A lease to dispose when the stream ends, or one that is not acquired when the tenant is at its limit.</summary>
    public RateLimitLease TryOpen(string tenantId) => limiter.AttemptAcquire(tenantId);

    public void Dispose() => limiter.Dispose();
}
