using System.Diagnostics;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Batching;
using FlowTok.Model.Loading;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace FlowTok.Grains.Models.Loading;

/// <summary>The backends of a libtorch device: the model directory's text-to-image pipeline, and its image-to-text one
/// when the directory has those components, loaded once onto the device in the resolved precision.</summary>
public static class TorchBackend
{
    /// <summary>Device seconds per row-step assumed until the first steps are measured.</summary>
    public const double RowStepSecondsGuess = 0.01;

    public static StepDevices Load(ModelHostingOptions options, string device, ILogger logger)
    {
        if (options.IntraOpThreads > 0) torch.set_num_threads(options.IntraOpThreads);
        var root = options.ResolvePath();
        var directory = ModelDirectory.Open(root);
        var placement = TorchPlacement.Resolve(device, options.Dtype);
        var watch = Stopwatch.StartNew();
        var kinds = new Dictionary<RowKind, IStepDevice>();
        var textToImage = directory.LoadTextToImage(placement.Dtype, placement.Device);
        kinds[RowKind.Generate] = new TorchGenerationDevice(textToImage, directory.Index.Defaults.TextNoise, options.BatchedGuidance);
        if (directory.Index.HasImageToText)
            kinds[RowKind.Caption] = new TorchCaptionDevice(directory.LoadImageToText(placement.Dtype, placement.Device), options.BatchedGuidance);
        var descriptor = new ModelDescriptor
        {
            Name = directory.Index.Name,
            Version = ModelVersion.Of(directory),
            ImageSize = textToImage.ImageSize,
            TextToImage = true,
            ImageToText = kinds.ContainsKey(RowKind.Caption),
            DefaultSteps = directory.Index.Defaults.Steps,
            DefaultGuidanceScale = directory.Index.Defaults.GuidanceScale,
        };
        logger.LogInformation("Loaded {Name} ({Version}, {Size}px, image-to-text: {I2T}) from {Root} on {Device} as {Dtype} in {Seconds:F1} s",
            descriptor.Name, descriptor.Version, descriptor.ImageSize, descriptor.ImageToText, root, device, placement.Description, watch.Elapsed.TotalSeconds);
        return new StepDevices(descriptor, kinds, RowStepSecondsGuess);
    }
}
