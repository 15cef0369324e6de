using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Batching;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Models;

/// <summary>The backends of one device, one per task kind it serves, and what model they are.</summary>
public sealed record StepDevices(ModelDescriptor Model, IReadOnlyDictionary<RowKind, IStepDevice> Kinds, double RowStepSecondsGuess) : IDisposable
{
    /// <summary>
    /// Loads the backends for a device name: "sim:N" gets simulated devices, anything else the model directory through
    /// libtorch. The one place that tells them apart; the serving path only sees <see cref="IStepDevice"/>.
    /// </summary>
    public static StepDevices Load(ModelHostingOptions options, string device, ILogger logger)
    {
        if (SimulatedDeviceOptions.IsSimulated(device))
        {
            var outputs = new SimulatedOutputs(options.Simulated);
            logger.LogInformation("Simulated device {Device}: {Version}", device, outputs.Descriptor.Version);
            var guess = options.Simulated.StepTime(options.MaxBatchSize).TotalSeconds / options.MaxBatchSize;
            return new StepDevices(outputs.Descriptor, new Dictionary<RowKind, IStepDevice>
            {
                [RowKind.Generate] = new SimulatedStepDevice(RowKind.Generate, options.Simulated, outputs),
                [RowKind.Caption] = new SimulatedStepDevice(RowKind.Caption, options.Simulated, outputs),
            }, guess);
        }
        if (options.IntraOpThreads > 0) torch.set_num_threads(options.IntraOpThreads);
        var root = options.ResolvePath();
        var directory = ModelDirectory.Open(root);
        var on = device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase) ? torch.CPU : torch.device(device);
        var dtype = ComputePrecision.Resolve(options.Dtype, on);
        var watch = Stopwatch.StartNew();
        var kinds = new Dictionary<RowKind, IStepDevice>();
        var textToImage = directory.LoadTextToImage(dtype, on);
        kinds[RowKind.Generate] = new TorchGenerationDevice(textToImage, directory.Index.Defaults.TextNoise, options.BatchedGuidance);
        if (directory.Index.HasImageToText)
            kinds[RowKind.Caption] = new TorchCaptionDevice(directory.LoadImageToText(dtype, on), options.BatchedGuidance);
        var descriptor = new ModelDescriptor
        {
            Name = directory.Index.Name,
            Version = VersionOf(directory),
            ImageSize = textToImage.ImageSize,
            TextToImage = true,
            ImageToText = kinds.ContainsKey(RowKind.Caption),
        };
        logger.LogInformation("Loaded {Name} ({Version}, {Size}px, image-to-text: {I2T}) from {Root} on {Device} as {Dtype} in {Seconds:F1} s",
            descriptor.Name, descriptor.Version, descriptor.ImageSize, descriptor.ImageToText, root, device, ComputePrecision.Describe(options.Dtype, on), watch.Elapsed.TotalSeconds);
        return new StepDevices(descriptor, kinds, 0.01);
    }

    /// <summary>A short hash of the model's index, component configs and weight sizes: caches are namespaced by it.</summary>
    private static string VersionOf(ModelDirectory directory)
    {
        var text = new StringBuilder(File.ReadAllText(Path.Combine(directory.Root, ModelIndex.FileName)));
        foreach (var role in directory.Index.Components.Keys.Order())
        {
            var config = Path.Combine(directory.ComponentFolder(role), ModelDirectory.ConfigFileName);
            if (File.Exists(config)) text.Append(File.ReadAllText(config));
            if (role != ModelIndex.Roles.Tokenizer) text.Append(new FileInfo(directory.WeightsPath(role)).Length);
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return $"{directory.Index.Name}@{hash[..12]}";
    }

    public void Dispose()
    {
        foreach (var kind in Kinds.Values) kind.Dispose();
    }
}
