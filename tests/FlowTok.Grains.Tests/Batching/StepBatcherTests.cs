using FlowTok.Grains.Batching;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>The step batcher on plain rows: joining at step boundaries, own grids, leaving alone.</summary>
public sealed class StepBatcherTests
{
    private static long ids;

    private static StepRow Row(int steps, double guidance = 2, RowKind kind = RowKind.Generate) =>
        new(Interlocked.Increment(ref ids), kind, new RowSettings(steps, guidance), new GenerateInput("p", 1, null));

    [Fact]
    public void RowsJoinAtStepBoundariesAndLeaveWhenTheirOwnStepsAreDone()
    {
        var batcher = new StepBatcher(maxRows: 3);
        var (short3, long5) = (Row(3), Row(5, guidance: 4));
        batcher.Join(short3);
        batcher.Join(long5);
        Assert.Empty(batcher.Advance(batcher.Rows.ToList()));
        var late = Row(2, guidance: 1);
        batcher.Join(late); // joins at the boundary after step 1 of the others
        Assert.Equal(0, batcher.FreeSlots);
        Assert.Empty(batcher.Advance(batcher.Rows.ToList()));
        var done = batcher.Advance(batcher.Rows.ToList());
        Assert.Equal([short3, late], done);
        foreach (var row in done) batcher.Leave(row);
        Assert.Equal([long5], batcher.Rows);
        Assert.Equal(3, long5.StepsDone);
        Assert.Equal(2, batcher.FreeSlots);
    }

    [Fact]
    public void RequestLevelBatchingTakesNewRowsOnlyIntoAnEmptyBatch()
    {
        var batcher = new StepBatcher(maxRows: 4, BatchingMode.RequestLevel);
        Assert.Equal(4, batcher.FreeSlots);
        batcher.Join(Row(2));
        Assert.Equal(3, batcher.FreeSlots); // still forming: no step taken yet
        batcher.Join(Row(2));
        batcher.Advance(batcher.Rows.ToList());
        Assert.Equal(0, batcher.FreeSlots);
        Assert.Throws<InvalidOperationException>(() => batcher.Join(Row(2)));
        foreach (var row in batcher.Advance(batcher.Rows.ToList()).Concat(batcher.Advance(batcher.Rows.ToList())).ToList()) batcher.Leave(row);
        Assert.Equal(4, batcher.FreeSlots);
    }

    [Fact]
    public void RowsOfEachKindStepTogether()
    {
        var batcher = new StepBatcher(maxRows: 4);
        var (a, b, c) = (Row(3), Row(3, kind: RowKind.Caption), Row(4));
        batcher.Join(a);
        batcher.Join(b);
        batcher.Join(c);
        var groups = batcher.Groups().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal([a, c], groups[0]);
        Assert.Equal([b], groups[1]);
    }

    [Fact]
    public void AFailedRowLeavesAloneAndTheOthersKeepTheirSteps()
    {
        var batcher = new StepBatcher(maxRows: 3);
        var rows = new[] { Row(4), Row(4), Row(4) };
        foreach (var row in rows) batcher.Join(row);
        batcher.Advance(rows);
        batcher.Leave(rows[1]);
        batcher.Advance(batcher.Rows.ToList());
        Assert.Equal([2, 1, 2], rows.Select(r => r.StepsDone));
        Assert.Equal(1, batcher.FreeSlots);
    }
}
