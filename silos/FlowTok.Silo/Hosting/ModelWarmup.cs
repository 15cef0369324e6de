using FlowTok.Contracts.Models;
using FlowTok.Gateway.Health;
using FlowTok.Grains.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// Activates this silo's model grains at start so the weights load before the first request (and each replica
/// announces itself in the model registry, which makes the gateways ready). Readiness of a silo: its replicas loaded.
/// </summary>
public sealed class ModelWarmup(LocalModels models, IGrainFactory grains, ILogger<ModelWarmup> logger) : BackgroundService, IHealthCheck
{
    private volatile string? failed;
    private volatile bool done;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var key in models.Keys)
        {
            try
            {
                var model = await grains.GetGrain<IModelGrain>(key).DescribeAsync();
                logger.LogInformation("Model replica {Key} ready: {Version}, {Size}px, image-to-text {I2T}", key, model.Version, model.ImageSize, model.ImageToText);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failed = $"model replica {key} failed to start: {e.Message}";
                logger.LogError(e, "Model replica {Key} failed to start", key);
            }
        }
        done = true;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(failed is { } reason ? HealthCheckResult.Unhealthy(reason)
            : done ? HealthCheckResult.Healthy($"{models.Keys.Count} local model replica(s) loaded")
            : HealthCheckResult.Unhealthy("the local model replicas are loading"));

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<ModelWarmup>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelWarmup>());
        services.AddHealthChecks().AddCheck<ModelWarmup>("local-models", tags: [ReadinessCheck.Tag]);
    }
}
