using FlowTok.Grains.Jobs;

namespace FlowTok.Grains.Tests.Jobs;

public sealed class StallWatchTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void ASilentItemIsQueuedAgainWithTheWaitDoublingUpToTheLimit()
    {
        var watch = new StallWatch(Timeout, maxRequeues: 2);
        watch.Heard(0, T0);
        Assert.Empty(watch.TakeStalled(T0.AddSeconds(60), _ => false));
        Assert.Equal([0], watch.TakeStalled(T0.AddSeconds(61), _ => false));
        // Queued again at 61 s: the next wait is twice as long.
        Assert.Empty(watch.TakeStalled(T0.AddSeconds(61 + 120), _ => false));
        Assert.Equal([0], watch.TakeStalled(T0.AddSeconds(61 + 121), _ => false));
        Assert.Empty(watch.TakeStalled(T0.AddDays(1), _ => false));
    }

    [Fact]
    public void ProgressRestartsTheWaitAndSettledItemsAreLeftAlone()
    {
        var watch = new StallWatch(Timeout, maxRequeues: 3);
        watch.Heard(2, T0);
        watch.Heard(1, T0);
        watch.Heard(0, T0);
        watch.Heard(1, T0.AddSeconds(50));
        Assert.Equal([2], watch.TakeStalled(T0.AddSeconds(70), settled: i => i == 0));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(60, 0)]
    public void NoTimeoutOrNoRequeuesTurnsTheWatchOff(int seconds, int requeues) =>
        Assert.False(new StallWatch(TimeSpan.FromSeconds(seconds), requeues).Enabled);
}
