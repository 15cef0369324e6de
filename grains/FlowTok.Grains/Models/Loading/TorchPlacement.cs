using FlowTok.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Models.Loading;

/// <summary>Where and in what precision a replica computes: its device name ("cpu:0", "cuda:1") as a libtorch device, and
/// Model:Dtype (auto, fp32, bf16) resolved for that device.</summary>
public sealed record TorchPlacement(Device Device, ScalarType Dtype, string Description)
{
    public static TorchPlacement Resolve(string device, string? dtype)
    {
        // Every "cpu:N" is the one CPU device: N only names the replica (several may share the CPU).
        var on = device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase) ? torch.CPU : torch.device(device);
        return new TorchPlacement(on, ComputePrecision.Resolve(dtype, on), ComputePrecision.Describe(dtype, on));
    }
}
