using FlowTok.Infrastructure.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace FlowTok.Gateway.Health;

/// <summary>Ready when Redis answers and at least one model replica is announced in the registry.</summary>
public sealed class ReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public const string Tag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The registry lives in Redis, so listing it also proves Redis answers; ping too when the multiplexer is shared.
            if (services.GetService<IConnectionMultiplexer>() is { } redis)
                await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            var models = await services.GetRequiredService<IModelRegistry>().ListAsync().WaitAsync(cancellationToken);
            return models.Count > 0
                ? HealthCheckResult.Healthy($"{models.Count} model replica(s): {string.Join(", ", models.Select(m => m.GrainKey))}")
                : HealthCheckResult.Unhealthy("no model replica is announced");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Redis or the model registry did not answer", e);
        }
    }
}
