using FlowTok.Grains.Batching;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Models.Loading;

/// <summary>The backends of a simulated device ("sim:N"): both task kinds, timed by <see cref="SimulatedDeviceOptions"/>.</summary>
public static class SimulatedBackend
{
    public static StepDevices Load(ModelHostingOptions options, string device, ILogger logger)
    {
        var outputs = new SimulatedOutputs(options.Simulated);
        logger.LogInformation("Simulated device {Device}: {Version}", device, outputs.Descriptor.Version);
        // The cost model's own figure for a full batch, per row: the scheduler's first estimate.
        var guess = options.Simulated.StepTime(options.MaxBatchSize).TotalSeconds / options.MaxBatchSize;
        return new StepDevices(outputs.Descriptor, new Dictionary<RowKind, IStepDevice>
        {
            [RowKind.Generate] = new SimulatedStepDevice(RowKind.Generate, options.Simulated, outputs),
            [RowKind.Caption] = new SimulatedStepDevice(RowKind.Caption, options.Simulated, outputs),
        }, guess);
    }
}
