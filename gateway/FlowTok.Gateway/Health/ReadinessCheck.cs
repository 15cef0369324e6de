using FlowTok.Infrastructure.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Gateway.Health;

/// <summary>
/// Ready when Redis answers and at least one model replica is announced in the registry. One instance per process: a
/// result is reused for <see cref="GatewayOptions.ReadinessCacheTime"/>, and concurrent probes share one check, so a
/// flood of /health/ready costs Redis at most one check per that time.
/// </summary>
public sealed class ReadinessCheck(IServiceProvider services, IOptions<GatewayOptions> options, TimeProvider time) : IHealthCheck
{
    /// <summary>The tag /health/ready runs (the host's ServiceDefaults ReadyTag).</summary>
    public const string Tag = "ready";

    /// <summary>How long one check may take before it counts as failed.</summary>
    static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    readonly Lock gate = new();
    Task<HealthCheckResult>? last;
    DateTimeOffset lastStarted;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> current;
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (last is null || (last.IsCompleted && now - lastStarted >= options.Value.ReadinessCacheTime))
            {
                last = CheckNowAsync();
                lastStarted = now;
            }
            current = last;
        }
        return current.WaitAsync(cancellationToken);
    }

    async Task<HealthCheckResult> CheckNowAsync()
    {
        try
        {
            // The registry lives in Redis, so listing it also proves Redis answers; ping too when the multiplexer is shared.
            if (services.GetService<IConnectionMultiplexer>() is { } redis)
                await redis.GetDatabase().PingAsync().WaitAsync(CheckTimeout);
            var models = await services.GetRequiredService<IModelRegistry>().ListAsync().WaitAsync(CheckTimeout);
            return models.Count > 0
                ? HealthCheckResult.Healthy($"{models.Count} model replica(s): {string.Join(", ", models.Select(m => m.GrainKey))}")
                : HealthCheckResult.Unhealthy("no model replica is announced");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("Redis or the model registry did not answer", e);
        }
    }
}
