using FlowTok.Contracts.Models;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models.Loading;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Models;

/// <summary>The backends of one device, one per task kind it serves, and what model they are.</summary>
public sealed record StepDevices(ModelDescriptor Model, IReadOnlyDictionary<RowKind, IStepDevice> Kinds, double RowStepSecondsGuess) : IDisposable
{
    /// <summary>
    /// Loads the backends for a device name: "sim:N" gets simulated devices, anything else the model directory through
    /// libtorch. The one place that tells them apart; the serving path only sees <see cref="IStepDevice"/>.
    /// </summary>
    public static StepDevices Load(ModelHostingOptions options, string device, ILogger logger) =>
        SimulatedDeviceOptions.IsSimulated(device) ? SimulatedBackend.Load(options, device, logger) : TorchBackend.Load(options, device, logger);

    public void Dispose()
    {
        foreach (var kind in Kinds.Values) kind.Dispose();
    }
}
