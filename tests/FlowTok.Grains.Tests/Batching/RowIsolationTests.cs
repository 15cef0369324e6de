using FlowTok.Grains.Batching;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>A device call that fails over a group is retried row by row, so only the failing row fails.</summary>
public sealed class RowIsolationTests
{
    private static StepRow Row(long id, string prompt) => new(id, RowKind.Generate, new RowSettings(4, 2), new GenerateInput(prompt, id, null));

    [Fact]
    public void OnlyTheRowThatFailsAloneFails()
    {
        var rows = new[] { Row(1, "fine"), Row(2, "bad"), Row(3, "fine") };
        var calls = new List<int>();
        var failed = RowIsolation.Run(rows, group =>
        {
            calls.Add(group.Count);
            if (group.Any(r => ((GenerateInput)r.Input).Prompt == "bad")) throw new InvalidOperationException("bad row");
        });
        Assert.Equal([rows[1]], failed.Select(f => f.Row));
        Assert.Equal("bad row", failed[0].Error.Message);
        Assert.Equal([3, 1, 1, 1], calls);
    }

    [Fact]
    public void AGroupThatSucceedsRunsOnce()
    {
        var rows = new[] { Row(1, "a"), Row(2, "b") };
        int calls = 0;
        var (results, failed) = RowIsolation.Run(rows, group => { calls++; return group.Select(r => r.Id * 10).ToList(); });
        Assert.Empty(failed);
        Assert.Equal(1, calls);
        Assert.Equal(20, results[rows[1]]);
    }
}
