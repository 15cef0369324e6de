using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Tests.Replica;

public sealed class ReplicaTallyTests
{
    [Fact]
    public void StepsAndItemsAddUpAndEachTenantKeepsItsOwn()
    {
        var tally = new ReplicaTally();
        tally.Step(rows: 3);
        tally.Busy(System.Diagnostics.Stopwatch.Frequency);
        tally.Step(rows: 1);
        tally.Busy(System.Diagnostics.Stopwatch.Frequency);
        tally.ExpiredStart();
        tally.Succeeded("a");
        tally.Succeeded("a");
        tally.Succeeded("b");
        tally.Waited("a", TimeSpan.FromSeconds(1.5));
        tally.Waited("b", TimeSpan.FromSeconds(0.25));

        var stats = tally.Stats(queueDepth: 5, deadlineDrops: 2, preemptions: 1);
        Assert.Equal(new RunnerStats(5, 2, 4, 3, TimeSpan.FromSeconds(2), 3, 2, 1, 1), stats);
        Assert.Equal(2.0, stats.MeanBatchSize);

        var usage = tally.Usage([new TenantStanding("a", 1, 7.5, 0, 0, 1, 0), new TenantStanding("c", 2, 0.5, 1, 0, 0, 0)]);
        Assert.Equal([new TenantUsageRecord("a", 7.5, 2, 1.5, 1), new TenantUsageRecord("c", 0.5, 0, 0, 0)], usage);
    }
}
