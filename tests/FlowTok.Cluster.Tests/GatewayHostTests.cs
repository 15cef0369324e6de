using FlowTok.Cluster.Tests.Processes;

namespace FlowTok.Cluster.Tests;

/// <summary>The gateway host's build output, the folder the cluster's gateway process runs from: no model runtime in it.</summary>
public sealed class GatewayHostTests
{
    [Fact]
    public void TheGatewayHostCarriesNoLibTorchNorGrains()
    {
        var folder = PlatformProcess.OutputFolder(PlatformBinary.Gateway);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("flowtok-gateway.dll", files);
        Assert.Contains("FlowTok.Gateway.dll", files);
        var model = files.Where(f => f!.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
            || f!.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase)
            || f is "FlowTok.Grains.dll" or "FlowTok.Model.dll").ToList();
        Assert.True(model.Count == 0, $"{folder} holds {string.Join(", ", model)}");
    }
}
