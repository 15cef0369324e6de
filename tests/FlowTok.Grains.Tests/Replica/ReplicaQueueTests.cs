using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Tests.Replica;

/// <summary>The replica's queue without a device: bounds, the wait for companions, deadline drops, preemption, cancellation.</summary>
public sealed class ReplicaQueueTests
{
    private static ModelHostingOptions Options(int maxQueue = 8, int delayMs = 0, int rowsWithInteractive = 0, int rowsBesideLight = 0) =>
        new()
        {
            MaxQueueLength = maxQueue, MaxQueueDelay = TimeSpan.FromMilliseconds(delayMs),
            Scheduling = new() { RowsWithInteractive = rowsWithInteractive, RowsBesideLightTenants = rowsBesideLight, BatchMinimumShare = 0.125 },
        };

    private static long nextId;

    private static WorkItem<string> Item(string job, string tenant = "t", int steps = 4, DateTimeOffset? deadline = null,
        WorkPriority priority = WorkPriority.Interactive) =>
        new(job, 0, new StepRow(Interlocked.Increment(ref nextId), RowKind.Caption, new RowSettings(steps, 2), new CaptionInput([1])),
            new WorkOrigin(tenant, Priority: priority, Deadline: deadline), null);

    /// <summary>Takes from the queue and joins what it took, as the device thread does; returns the intake.</summary>
    private static Intake Step(ReplicaQueue queue, StepBatcher batcher, List<WorkItem> running)
    {
        var intake = queue.Take(batcher, running)!;
        foreach (var victim in intake.Preempted)
        {
            batcher.Leave(victim.Row);
            running.Remove(victim);
        }
        foreach (var item in intake.Joining)
        {
            batcher.Join(item.Row);
            running.Add(item);
        }
        return intake;
    }

    /// <summary>The one item that joined in <paramref name="intake"/> ends; at the next boundary the device is full again,
    /// the rows preempted for it first.</summary>
    private static void AssertRefilledAfter(ReplicaQueue queue, StepBatcher batcher, List<WorkItem> running, Intake intake)
    {
        batcher.Leave(intake.Joining[0].Row);
        running.Remove(intake.Joining[0]);
        queue.Complete(intake.Joining[0].Scheduled!);
        var refill = Step(queue, batcher, running);
        Assert.Equal(8, running.Count);
        Assert.Equal(intake.Preempted.Select(i => i.JobId).Order(), refill.Joining.Take(intake.Preempted.Count).Select(i => i.JobId).Order());
    }

    [Theory]
    [InlineData(0, 1, 7)] // no cap: the interactive item takes one row from the flood (preemption), batch keeps the rest
    [InlineData(5, 4, 4)] // at most 5 rows beside interactive work: batch gives up four, keeps four
    [InlineData(2, 7, 1)] // a cap below batch's guaranteed row (1 of 8 at 12.5 %): batch still keeps one
    public void BesideInteractiveWorkBatchRowsAreLimitedToTheCap(int cap, int preempted, int batchKept)
    {
        var queue = new ReplicaQueue(Options(maxQueue: 32, rowsWithInteractive: cap), "sim:0");
        var batcher = new StepBatcher(8);
        var running = new List<WorkItem>();
        for (int i = 0; i < 12; i++) queue.Add(Item($"batch-{i}", tenant: "jobs", steps: 20, priority: WorkPriority.Batch));
        Assert.Equal(8, Step(queue, batcher, running).Joining.Count);

        queue.Add(Item("interactive", tenant: "jobs", steps: 20));
        var intake = Step(queue, batcher, running);
        Assert.Equal(preempted, intake.Preempted.Count);
        Assert.Equal(["interactive"], intake.Joining.Select(i => i.JobId));
        Assert.Equal(batchKept, running.Count(i => i.Scheduled!.Ticket.Priority == WorkPriority.Batch));
        // Free rows stay free for interactive work while it runs: no batch item joins at the next boundary.
        Assert.Empty(Step(queue, batcher, running).Joining);

        // Once the interactive item is gone, batch fills the device again (the preempted rows first, with their state).
        AssertRefilledAfter(queue, batcher, running, intake);
    }


    [Theory]
    [InlineData(0, 1, 7)] // no cap: the light tenant takes one row from the flood (preemption), the flood keeps the rest
    [InlineData(5, 4, 4)] // at most 5 rows beside a light tenant: the flood gives up four and keeps four
    [InlineData(1, 8, 0)] // a cap of one: the light tenant's row steps alone
    public void BesideALightTenantAHeavyOneKeepsWhatTheCapLeaves(int cap, int preempted, int heavyKept)
    {
        var queue = new ReplicaQueue(Options(maxQueue: 64, rowsBesideLight: cap), "sim:0");
        var batcher = new StepBatcher(8);
        var running = new List<WorkItem>();
        for (int i = 0; i < 24; i++) queue.Add(Item($"big-{i}", tenant: "big", steps: 20));
        Assert.Equal(8, Step(queue, batcher, running).Joining.Count);

        queue.Add(Item("small", tenant: "small", steps: 20));
        var intake = Step(queue, batcher, running);
        Assert.Equal(preempted, intake.Preempted.Count);
        Assert.All(intake.Preempted, i => Assert.Equal("big", i.Scheduled!.Ticket.Tenant));
        Assert.Equal(["small"], intake.Joining.Select(i => i.JobId));
        Assert.Equal(heavyKept, running.Count(i => i.Scheduled!.Ticket.Tenant == "big"));
        // The heavy tenant's waiting rows stay out while the light tenant runs.
        Assert.Empty(Step(queue, batcher, running).Joining);

        // Once the light tenant's work is gone, the heavy tenant fills the device again (the preempted rows first).
        AssertRefilledAfter(queue, batcher, running, intake);
    }

    [Fact]
    public void TenantsThatAllAskNoMoreThanTheirShareAreNotCapped()
    {
        // Eight tenants with one row each: none is heavy, so a cap of 3 does not apply and the device fills.
        var queue = new ReplicaQueue(Options(maxQueue: 16, rowsBesideLight: 3), "sim:0");
        var batcher = new StepBatcher(8);
        var running = new List<WorkItem>();
        for (int i = 0; i < 8; i++) queue.Add(Item($"job-{i}", tenant: $"tenant-{i}", steps: 20));
        Assert.Equal(8, Step(queue, batcher, running).Joining.Count);
    }

    [Fact]
    public void AFullQueueRefusesNamingTheDeviceAndAStoppedOneRefusesAsShutDown()
    {
        var queue = new ReplicaQueue(Options(maxQueue: 2), "sim:7");
        queue.Add(Item("a"));
        queue.Add(Item("b"));
        var full = Assert.Throws<ModelQueueFullException>(() => queue.Add(Item("c")));
        Assert.Contains("sim:7", full.Message);
        Assert.Equal(2, queue.Count);

        Assert.Equal(2, queue.Stop().Count);
        Assert.Throws<ObjectDisposedException>(() => queue.Add(Item("d")));
    }

    [Fact]
    public async Task AnIdleDeviceWaitsForCompanionsUpToTheQueueDelay()
    {
        var queue = new ReplicaQueue(Options(delayMs: 300), "sim:0");
        var batcher = new StepBatcher(4);
        queue.Add(Item("a"));
        var watch = Stopwatch.StartNew();
        var taking = Task.Factory.StartNew(() => queue.Take(batcher, []), TaskCreationOptions.LongRunning);
        queue.Add(Item("b"));
        var intake = (await taking)!;
        // Two items cannot fill four slots: both are taken as one intake after the whole wait.
        Assert.Equal(["a", "b"], intake.Joining.Select(i => i.JobId));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"took them after {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.All(intake.Joining, i => Assert.NotNull(i.Scheduled));
    }

    [Fact]
    public void ItemsThatFillTheFreeSlotsStartWithoutWaiting()
    {
        var queue = new ReplicaQueue(Options(delayMs: 60_000), "sim:0");
        for (int i = 0; i < 3; i++) queue.Add(Item($"job-{i}"));
        var watch = Stopwatch.StartNew();
        var intake = queue.Take(new StepBatcher(2), [])!;
        Assert.Equal(["job-0", "job-1"], intake.Joining.Select(i => i.JobId));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"waited {watch.Elapsed.TotalSeconds:F0} s with its slots already filled");
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void ExpiredItemsAreDroppedAndCountedNotTaken()
    {
        var queue = new ReplicaQueue(Options(), "sim:0");
        queue.Add(Item("late", deadline: DateTimeOffset.UtcNow.AddMilliseconds(-1)));
        queue.Add(Item("on-time", deadline: DateTimeOffset.UtcNow.AddMinutes(1)));
        var intake = queue.Take(new StepBatcher(4), [])!;
        Assert.Equal(["on-time"], intake.Joining.Select(i => i.JobId));
        Assert.Equal(["late"], intake.Expired.Select(w => w.Item.JobId));
        Assert.Equal(1, queue.Counts.DeadlineDrops);
    }

    [Fact]
    public void AWaitingTenantUnderItsShareTakesARowOfTheTenantAboveIt()
    {
        var queue = new ReplicaQueue(Options(), "sim:0");
        var batcher = new StepBatcher(2);
        queue.Add(Item("flood-0", tenant: "flood"));
        queue.Add(Item("flood-1", tenant: "flood"));
        var first = queue.Take(batcher, [])!;
        foreach (var item in first.Joining) batcher.Join(item.Row);

        queue.Add(Item("one", tenant: "small"));
        var second = queue.Take(batcher, first.Joining)!;
        Assert.Equal("flood", Assert.Single(second.Preempted).Origin.Tenant);
        Assert.Equal(["one"], second.Joining.Select(i => i.JobId));
        Assert.Equal(1, queue.Counts.Preemptions);
        Assert.Equal(1, queue.Count); // the preempted item waits to resume
    }

    [Fact]
    public void TheRowOfACancelledPreemptedItemIsReleasedOnce()
    {
        var queue = new ReplicaQueue(Options(), "sim:0");
        var started = Item("cancelled");
        started.Started = true;
        var queued = Item("cancelled");
        queue.Add(started);
        queue.Add(queued);
        queue.Add(Item("other"));

        Assert.Equal(2, queue.RemoveJob("cancelled").Count);
        Assert.Equal([started.Row], queue.TakeReleased());
        Assert.Empty(queue.TakeReleased());
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public async Task StoppingWakesTheDeviceThread()
    {
        var queue = new ReplicaQueue(Options(), "sim:0");
        var taking = Task.Factory.StartNew(() => queue.Take(new StepBatcher(2), []), TaskCreationOptions.LongRunning);
        await Task.Delay(50);
        Assert.False(taking.IsCompleted);
        queue.Stop();
        Assert.Null(await taking.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void TheRowStepEstimateFollowsMeasurements()
    {
        var queue = new ReplicaQueue(Options(), "sim:0") { RowStepSeconds = 0.02 };
        queue.Observe(TimeSpan.FromSeconds(0.4), rows: 4);
        Assert.Equal(0.95 * 0.02 + 0.05 * 0.1, queue.RowStepSeconds, 12);
    }
}
