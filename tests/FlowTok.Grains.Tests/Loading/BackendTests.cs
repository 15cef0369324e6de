using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Grains.Models.Loading;
using FlowTok.Model.Loading;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Grains.Tests.Loading;

/// <summary>Each backend loads the executors of the task kinds it serves and describes its model.</summary>
public sealed class BackendTests
{
    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    [Fact]
    public void ASimulatedDeviceServesBothKindsAndEstimatesARowStepFromItsCostModel()
    {
        var options = new ModelHostingOptions { Path = "/nonexistent", MaxBatchSize = 4, Simulated = new SimulatedDeviceOptions { StepLatency = TimeSpan.FromMilliseconds(20), RowStepLatency = TimeSpan.FromMilliseconds(5) } };
        using var devices = StepDevices.Load(options, "sim:0", NullLogger.Instance);
        Assert.Equal([RowKind.Generate, RowKind.Caption], devices.Kinds.Keys.Order());
        Assert.All(devices.Kinds, k => Assert.Equal(k.Key, k.Value.Kind));
        Assert.True(devices.Model.TextToImage && devices.Model.ImageToText);
        // (20 ms + 4 x 5 ms) / 4 rows
        Assert.Equal(0.010, devices.RowStepSecondsGuess, 9);
    }

    [Fact]
    public void TheBundledModelLoadsBothDirectionsUnderItsVersion()
    {
        using var devices = StepDevices.Load(new ModelHostingOptions { Path = BundledModel, Dtype = "fp32" }, "cpu:0", NullLogger.Instance);
        Assert.IsType<TorchGenerationDevice>(devices.Kinds[RowKind.Generate]);
        Assert.IsType<TorchCaptionDevice>(devices.Kinds[RowKind.Caption]);
        Assert.Equal(ModelVersion.Of(ModelDirectory.Open(BundledModel)), devices.Model.Version);
        Assert.Equal(TorchBackend.RowStepSecondsGuess, devices.RowStepSecondsGuess);
    }
}
