using FlowTok.Grains.Models.Loading;
using TorchSharp;

namespace FlowTok.Grains.Tests.Loading;

/// <summary>A replica's device name and Model:Dtype become a libtorch device and dtype, or a clear error.</summary>
public sealed class TorchPlacementTests
{
    [Theory]
    [InlineData("cpu:0")]
    [InlineData("cpu:3")]
    [InlineData("CPU:1")]
    public void EveryCpuReplicaComputesOnTheCpu(string device) =>
        Assert.Equal(DeviceType.CPU, TorchPlacement.Resolve(device, "fp32").Device.type);

    [Theory]
    [InlineData("fp32", torch.ScalarType.Float32)]
    [InlineData("bf16", torch.ScalarType.BFloat16)]
    [InlineData(" BF16 ", torch.ScalarType.BFloat16)]
    public void AnExplicitDtypeIsTaken(string dtype, torch.ScalarType expected)
    {
        var placement = TorchPlacement.Resolve("cpu:0", dtype);
        Assert.Equal(expected, placement.Dtype);
        Assert.DoesNotContain("auto", placement.Description);
    }

    [Fact]
    public void AutoSaysWhatItChoseAndWhy()
    {
        var placement = TorchPlacement.Resolve("cpu:0", "auto");
        Assert.Contains(placement.Dtype == torch.ScalarType.BFloat16 ? "bf16" : "fp32", placement.Description);
        Assert.Contains("auto: CPU", placement.Description);
    }

    [Fact]
    public void AnUnknownDtypeNamesTheAcceptedOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => TorchPlacement.Resolve("cpu:0", "fp8"));
        Assert.Contains("fp8", error.Message);
        Assert.Contains("bf16", error.Message);
    }
}
