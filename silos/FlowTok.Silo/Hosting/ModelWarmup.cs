using FlowTok.Grains.Models;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// Activates this silo's model grains at start so the weights load before the first request (and each replica
/// announces itself in the model registry, which makes the gateway ready).
/// </summary>
public sealed class ModelWarmup(LocalModels models, IGrainFactory grains, ILogger<ModelWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var key in models.Keys)
        {
            try
            {
                var model = await grains.GetGrain<FlowTok.Contracts.Models.IModelGrain>(key).DescribeAsync();
                logger.LogInformation("Model replica {Key} ready: {Version}, {Size}px, image-to-text {I2T}", key, model.Version, model.ImageSize, model.ImageToText);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Model replica {Key} failed to start", key);
            }
        }
    }
}
