using FlowTok.Grains.Models;

namespace FlowTok.Grains.Tests;

/// <summary>A replica's per-tenant usage between reports: summed, taken once, restored when a report fails.</summary>
public sealed class UsageMeterTests
{
    [Fact]
    public void UsageIsSummedPerTenantAndTakenOnce()
    {
        var meter = new UsageMeter();
        meter.AddDeviceTime("a", 0.5);
        meter.AddDeviceTime("a", 0.25);
        meter.AddQueueWait("a", TimeSpan.FromSeconds(2));
        meter.AddItem("a", "generation", "succeeded");
        meter.AddItem("a", "generation", "cancelled");
        meter.AddItem("b", "caption", "deadline");

        var taken = meter.Take();
        Assert.Equal(0.75, taken["a"].DeviceSeconds);
        Assert.Equal(2, taken["a"].QueueWaitSeconds);
        Assert.Equal(1, taken["a"].ItemsRun);
        Assert.Equal(1, taken["b"].DeadlineDrops);
        Assert.Empty(meter.Take());

        meter.Restore("a", taken["a"]);
        meter.AddDeviceTime("a", 0.25);
        Assert.Equal(1.0, meter.Take()["a"].DeviceSeconds);
    }
}
