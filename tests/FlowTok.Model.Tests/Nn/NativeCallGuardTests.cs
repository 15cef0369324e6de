using System.Runtime;
using FlowTok.Model.Nn;

namespace FlowTok.Model.Tests.Nn;

[Collection(nameof(FlowTok.Model.Tests.Pipelines.SoakCollection))] // the no-GC region is process-wide: keep other tests' guards out of the way
public sealed class NativeCallGuardTests
{
    [Fact]
    public void ANestedGuardKeepsTheOuterRegionAndCostsNoCollection()
    {
        var (innerMode, afterInner, collections) = NativeCallGuard.Run(() =>
        {
            int before = GC.CollectionCount(2);
            var inner = NativeCallGuard.Run(() => GCSettings.LatencyMode);
            return (inner, GCSettings.LatencyMode, GC.CollectionCount(2) - before);
        });
        Assert.Equal(GCLatencyMode.NoGCRegion, innerMode);
        Assert.Equal(GCLatencyMode.NoGCRegion, afterInner); // the outer region is still in force
        Assert.Equal(0, collections);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode); // and ended with the outer guard
    }
}
