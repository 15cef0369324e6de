using System.Runtime.CompilerServices;
using TorchSharp;

namespace FlowTok.Model.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// xunit runs test classes in parallel; with libtorch's default of one intra-op thread per core, parallel tests
    /// oversubscribe the cores and OpenMP barriers stall (a 15 ms step became 1.2 s). One thread per test keeps them fast.
    /// </summary>
    [ModuleInitializer]
    internal static void UseOneIntraOpThread()
    {
        FlowTok.Model.Nn.LibTorchRuntime.LoadConfigured();
        torch.set_num_threads(1);
    }
}
