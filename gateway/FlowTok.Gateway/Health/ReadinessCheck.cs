using FlowTok.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Gateway.Health;

/// <summary>
/// Ready when Redis answers and at least one model replica is announced in the registry. One instance per process: a
/// ready result is reused for <see cref="GatewayOptions.ReadinessCacheTime"/>, a not-ready one for at most
/// <see cref="MaxNotReadyReuse"/> (so a replica that comes up is seen at once), and concurrent probes share one check: a
/// flood of /health/ready costs Redis at most one check per that time.
/// </summary>
public sealed class ReadinessCheck(IServiceProvider services, IOptions<GatewayOptions> options, TimeProvider time) : IHealthCheck
{
    /// <summary>The tag /health/ready runs (the host's ServiceDefaults ReadyTag).</summary>
    public const string Tag = "ready";

    /// <summary>Longest a not-ready result is reused.</summary>
    public static readonly TimeSpan MaxNotReadyReuse = TimeSpan.FromSeconds(1);

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
            var reuse = last is { IsCompletedSuccessfully: true } && last.Result.Status == HealthStatus.Healthy
                ? options.Value.ReadinessCacheTime
                : TimeSpan.FromTicks(Math.Min(options.Value.ReadinessCacheTime.Ticks, MaxNotReadyReuse.Ticks));
            if (last is null || (last.IsCompleted && now - lastStarted >= reuse))
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
