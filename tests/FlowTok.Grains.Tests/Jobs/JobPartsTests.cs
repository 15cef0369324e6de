using FlowTok.Contracts.Jobs;
using FlowTok.Grains.Jobs;

namespace FlowTok.Grains.Tests.Jobs;

/// <summary>The job grain's plain collaborators: commands, deadline, back-off, long-poll signals, snapshots.</summary>
public sealed class JobPartsTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static JobSpec Images(int count, DateTimeOffset? deadline = null) => new()
    {
        TenantId = "acme", Kind = JobKind.Generation, Prompt = "a red circle", Count = count, Seed = 40, Steps = 6, GuidanceScale = 3,
        TextNoise = 0.5, Priority = JobPriority.Batch, TenantWeight = 2, Deadline = deadline,
    };

    [Fact]
    public void EachImageIsOneCommandWithItsOwnSeedAndTheJobsSettings()
    {
        var commands = ItemCommands.Generate("job-1", Images(3), T0, [0, 2]);
        Assert.Equal([0, 2], commands.Select(c => c.Index));
        Assert.Equal([40L, 42L], commands.Select(c => c.Seed));
        Assert.All(commands, c =>
        {
            Assert.Equal(("job-1", "acme", "a red circle", 6, 3.0, 0.5, 2.0, JobPriority.Batch, (DateTimeOffset?)T0),
                (c.JobId, c.TenantId, c.Prompt, c.Steps, c.GuidanceScale, c.TextNoise, c.TenantWeight, c.Priority, c.Deadline));
        });
        var caption = Assert.Single(ItemCommands.Caption("job-2", Images(1) with { Kind = JobKind.Caption, InputFileId = "file-9" }, T0, [0]));
        Assert.Equal(("job-2", "file-9", (DateTimeOffset?)T0), (caption.JobId, caption.InputFileId, caption.Deadline));
    }

    [Fact]
    public void ItemsAreDueByTheRequestsDeadlineOrElseTheJobsTimeout()
    {
        var deadline = new JobDeadline(T0, TimeSpan.FromMinutes(30));
        Assert.Equal(T0.AddMinutes(30), deadline.ForItems(Images(1)));
        Assert.Equal(T0.AddSeconds(5), deadline.ForItems(Images(1, T0.AddSeconds(5))));
        Assert.Equal(T0.AddMinutes(30), deadline.ForItems(Images(1, T0.AddHours(1))));
        Assert.Equal(TimeSpan.FromMinutes(10), deadline.Remaining(T0.AddMinutes(20)));
        Assert.Equal(TimeSpan.Zero, deadline.Remaining(T0.AddHours(2)));
        Assert.Equal("the job timed out after 00:30:00: item(s) 1, 3 did not finish", deadline.Reason([1, 3]));
    }

    [Fact]
    public void QueueingAgainBacksOffToHalfAMinute()
    {
        var backoff = new PublishBackoff();
        var waits = Enumerable.Range(0, 8).Select(_ => backoff.Failed().TotalSeconds).ToList();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], waits);
        Assert.Equal(8, backoff.Failures);
    }

    [Fact]
    public async Task EveryChangeWakesTheWatchersAndMovesTheVersion()
    {
        var signals = new JobSignals(version: 7);
        var first = signals.NextChange;
        Assert.False(first.IsCompleted);
        signals.Changed();
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(8, signals.Version);
        Assert.False(signals.NextChange.IsCompleted);
        Assert.False(signals.End.IsCompleted);
        signals.Ended();
        await signals.End.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ASnapshotCountsFinishedItemsWholeAndOthersByTheirProgress()
    {
        var job = new JobState
        {
            Spec = Images(3), Status = JobStatus.Running, CreatedAt = T0,
            Outputs = [new JobOutput { Index = 1, FileId = "f" }],
        };
        var snapshot = JobSnapshots.Of("job-1", job, new Dictionary<int, int> { [0] = 2, [1] = 3 }, version: 5);
        Assert.Equal(2 + 6 + 0, snapshot.StepsDone);
        Assert.Equal(18, snapshot.TotalSteps);
        Assert.Equal(("job-1", JobStatus.Running, 5, 1), (snapshot.JobId, snapshot.Status, snapshot.Version, snapshot.Outputs.Count));
    }
}
