using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Tests.Scheduling;

/// <summary>The fair scheduler on its own: weighted shares, priorities, deadlines and queue bounds (no device, no clock).</summary>
public sealed class FairSchedulerTests
{
    /// <summary>Estimated device seconds of one 20-step row at full occupancy (20 x (10 ms + 8 x 1.25 ms) / 8).</summary>
    private const double RowCost = 0.05;

    private static FairScheduler<string> Scheduler(double batchShare = 0.1, int maxQueued = 256, int minPerTenant = 8) =>
        new(new SchedulerOptions { BatchMinimumShare = batchShare, MaxQueuedItems = maxQueued, MinQueuedItemsPerTenant = minPerTenant });

    private static WorkTicket Ticket(string tenant, double weight = 1, WorkPriority priority = WorkPriority.Interactive,
        DateTimeOffset? deadline = null, double cost = RowCost) => new(tenant, weight, priority, deadline, cost);

    /// <summary>Keeps every listed tenant backlogged with <paramref name="depth"/> queued items.</summary>
    private static void TopUp(FairScheduler<string> scheduler, DeviceModel device, IEnumerable<WorkTicket> tickets, int depth = 16)
    {
        foreach (var ticket in tickets)
            while (scheduler.QueuedFor(ticket.Tenant) < depth)
                Assert.True(scheduler.TryEnqueue(ticket.Tenant, ticket, device.Now).Accepted);
    }

    [Fact]
    public void DeviceTimeSharesConvergeToTheWeightsOneTwoFour()
    {
        var scheduler = Scheduler();
        var device = new DeviceModel(scheduler);
        WorkTicket[] tickets = [Ticket("a", 1), Ticket("b", 2), Ticket("c", 4)];
        for (int step = 0; step < 20_000; step++)
        {
            TopUp(scheduler, device, tickets);
            device.Step();
        }
        foreach (var (tenant, expected) in new[] { ("a", 1 / 7.0), ("b", 2 / 7.0), ("c", 4 / 7.0) })
        {
            double share = device.ShareOf(tenant);
            Assert.True(Math.Abs(share - expected) / expected <= 0.05, $"tenant {tenant}: share {share:P2}, expected {expected:P2}");
        }
    }

    [Fact]
    public void SharesFollowTheWeightsWhenItemsDifferInSteps()
    {
        // Device time, not item counts: tenant a asks 30-step items, b 10-step items, equal weights -> equal time.
        var scheduler = Scheduler();
        var device = new DeviceModel(scheduler) { StepsOf = w => w.Ticket.Tenant == "a" ? 30 : 10 };
        WorkTicket[] tickets = [Ticket("a", cost: 3 * RowCost / 2), Ticket("b", cost: RowCost / 2)];
        for (int step = 0; step < 20_000; step++)
        {
            TopUp(scheduler, device, tickets);
            device.Step();
        }
        Assert.InRange(device.ShareOf("a"), 0.475, 0.525);
    }

    [Fact]
    public void AnIdleTenantsShareGoesToTheOthersAndIsNotBankedForLater()
    {
        var scheduler = Scheduler();
        var device = new DeviceModel(scheduler);
        // b alone for a long time: it gets the whole device (work-conserving).
        for (int step = 0; step < 5_000; step++)
        {
            TopUp(scheduler, device, [Ticket("b")]);
            device.Step();
        }
        Assert.Equal(1.0, device.ShareOf("b"));
        // a arrives with equal weight: from now on they split evenly; a's idle time is no credit to monopolise the device.
        device.DeviceSeconds.Clear();
        int aStartedBefore = device.Started.Count(w => w.Ticket.Tenant == "a");
        for (int step = 0; step < 400; step++)
        {
            TopUp(scheduler, device, [Ticket("a"), Ticket("b")]);
            device.Step();
        }
        Assert.InRange(device.ShareOf("a"), 0.45, 0.55);
        Assert.Equal(0, aStartedBefore);
    }

    [Fact]
    public void InteractiveGoesFirstButBatchKeepsItsMinimumShare()
    {
        var scheduler = Scheduler(batchShare: 0.2);
        var device = new DeviceModel(scheduler);
        WorkTicket[] tickets = [Ticket("chat", priority: WorkPriority.Interactive), Ticket("jobs", priority: WorkPriority.Batch)];
        for (int step = 0; step < 20_000; step++)
        {
            TopUp(scheduler, device, tickets);
            device.Step();
        }
        Assert.True(Math.Abs(device.ShareOf("jobs") - 0.2) <= 0.01, $"batch share {device.ShareOf("jobs"):P2}, guaranteed 20%");
    }

    [Fact]
    public void WithoutInteractiveWorkBatchTakesTheWholeDevice()
    {
        var scheduler = Scheduler();
        var device = new DeviceModel(scheduler);
        for (int step = 0; step < 2_000; step++)
        {
            TopUp(scheduler, device, [Ticket("jobs", priority: WorkPriority.Batch)]);
            device.Step();
        }
        // 2000 steps of 20-step items, 8 rows: every row busy all the time.
        Assert.True(device.Started.Count >= 2_000 * 8 / 20 - 8, $"{device.Started.Count} items started");
        Assert.Equal(1.0, device.ShareOf("jobs"));
    }

    [Fact]
    public void InteractiveWorkArrivingDuringABatchFloodStartsNext()
    {
        var scheduler = Scheduler();
        var device = new DeviceModel(scheduler);
        for (int step = 0; step < 1_000; step++)
        {
            TopUp(scheduler, device, [Ticket("jobs", priority: WorkPriority.Batch)], depth: 64);
            device.Step();
        }
        Assert.True(scheduler.TryEnqueue("hello", Ticket("chat", priority: WorkPriority.Interactive), device.Now).Accepted);
        var next = scheduler.Next(device.Now, []);
        Assert.Equal("hello", next!.Item);
    }

    [Fact]
    public void BatchWorkIsNeverStarvedByAnInteractiveFlood()
    {
        var scheduler = Scheduler(batchShare: 0.05);
        var device = new DeviceModel(scheduler);
        for (int step = 0; step < 500; step++)
        {
            TopUp(scheduler, device, [Ticket("chat", priority: WorkPriority.Interactive)], depth: 64);
            device.Step();
        }
        Assert.True(scheduler.TryEnqueue("the-batch-item", Ticket("jobs", priority: WorkPriority.Batch), device.Now).Accepted);
        int started = device.Started.Count;
        for (int step = 0; step < 2_000 && !device.Started.Any(w => w.Item == "the-batch-item"); step++)
        {
            TopUp(scheduler, device, [Ticket("chat", priority: WorkPriority.Interactive)], depth: 64);
            device.Step();
        }
        int position = device.Started.FindIndex(w => w.Item == "the-batch-item");
        Assert.True(position >= 0, "the batch item never started");
        // At a 5% share an item of equal cost starts within about 1/0.05 = 20 starts (plus the rows in flight).
        Assert.True(position - started <= 30, $"the batch item started after {position - started} interactive items");
    }

    [Fact]
    public void WorkWhoseDeadlinePassedIsDroppedBeforeItUsesTheDeviceAndCounted()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        Assert.True(scheduler.TryEnqueue("late", Ticket("a", deadline: now + TimeSpan.FromSeconds(1)), now).Accepted);
        Assert.True(scheduler.TryEnqueue("fine", Ticket("a", deadline: now + TimeSpan.FromSeconds(60)), now).Accepted);
        Assert.True(scheduler.TryEnqueue("open", Ticket("b"), now).Accepted);
        var later = now + TimeSpan.FromSeconds(2);
        var expired = new List<ScheduledWork<string>>();
        var started = new List<string>();
        while (scheduler.Next(later, expired) is { } work) started.Add(work.Item);
        Assert.Equal(["late"], expired.Select(w => w.Item));
        Assert.Equal(["fine", "open"], started.Order());
        Assert.Equal(1, scheduler.Standings().Single(s => s.Tenant == "a").DeadlineDrops);
    }

    [Fact]
    public void ASweepDropsExpiredQueuedWork()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        scheduler.TryEnqueue("late", Ticket("a", deadline: now + TimeSpan.FromSeconds(1)), now);
        scheduler.TryEnqueue("fine", Ticket("a"), now);
        Assert.Empty(scheduler.DropExpired(now));
        Assert.Equal(["late"], scheduler.DropExpired(now + TimeSpan.FromSeconds(1)).Select(w => w.Item));
        Assert.Equal(1, scheduler.Count);
    }

    [Fact]
    public void ATenantBeyondItsShareOfTheQueueIsRefusedWhileOthersAreStillAdmitted()
    {
        var scheduler = Scheduler(maxQueued: 64, minPerTenant: 4);
        var now = DateTimeOffset.UnixEpoch;
        // Alone, "big" may fill the whole queue.
        for (int i = 0; i < 64; i++) Assert.True(scheduler.TryEnqueue($"big-{i}", Ticket("big"), now).Accepted);
        var refused = scheduler.TryEnqueue("big-64", Ticket("big"), now);
        Assert.False(refused.Accepted);
        Assert.Contains("share", refused.Reason);
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        // "small" is admitted up to its share (half the queue while both have work queued); big stays refused.
        for (int i = 0; i < 32; i++) Assert.True(scheduler.TryEnqueue($"small-{i}", Ticket("small"), now).Accepted);
        Assert.False(scheduler.TryEnqueue("small-32", Ticket("small"), now).Accepted);
        Assert.False(scheduler.TryEnqueue("big-x", Ticket("big"), now).Accepted);
        // Once big drained below its share (32) it is admitted again.
        var expired = new List<ScheduledWork<string>>();
        while (scheduler.QueuedFor("big") >= 32) scheduler.Next(now, expired);
        Assert.True(scheduler.TryEnqueue("big-y", Ticket("big"), now).Accepted);
    }

    [Fact]
    public void QueueSharesFollowWeightsAndKeepAMinimum()
    {
        Assert.Equal(256, QueueBounds.TenantLimit(256, 8, 1, 0));
        Assert.Equal(128, QueueBounds.TenantLimit(256, 8, 1, 1));
        Assert.Equal(64, QueueBounds.TenantLimit(256, 8, 1, 3));
        Assert.Equal(192, QueueBounds.TenantLimit(256, 8, 3, 1));
        Assert.Equal(8, QueueBounds.TenantLimit(256, 8, 1, 1000));
        Assert.True(QueueBounds.Fits(0, 20, 8));
        Assert.False(QueueBounds.Fits(1, 8, 8));
    }

    [Fact]
    public void ATenantUnderItsShareOfRowsPreemptsTheTenantAboveItsShareAndTheRowResumesFirst()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        for (int i = 0; i < 6; i++) scheduler.TryEnqueue($"big-{i}", Ticket("big"), now);
        var running = Enumerable.Range(0, 4).Select(i => (Work: scheduler.Next(now, [])!, StepsLeft: 20 - i)).ToList();
        // Big alone holds all 4 rows: nobody is under its share, so nothing is preempted.
        Assert.Null(scheduler.ChoosePreemption(running, maxRows: 4, now));
        scheduler.TryEnqueue("small-0", Ticket("small"), now);
        var victim = scheduler.ChoosePreemption(running, maxRows: 4, now);
        Assert.Equal("big-0", victim!.Item); // the row with the most steps left
        var resumed = scheduler.Suspend(victim, remainingCost: RowCost);
        Assert.Equal("small-0", scheduler.Next(now, [])!.Item);
        // The preempted row waits at the head of its tenant's queue, ahead of big's unstarted items, without a deadline.
        Assert.Equal("big-0", scheduler.Next(now, [])!.Item);
        Assert.Null(resumed.Ticket.Deadline);
    }

    [Fact]
    public void TenantsAtTheirShareDoNotPreemptEachOther()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        for (int i = 0; i < 4; i++)
        {
            scheduler.TryEnqueue($"a-{i}", Ticket("a"), now);
            scheduler.TryEnqueue($"b-{i}", Ticket("b"), now);
        }
        var running = Enumerable.Range(0, 4).Select(_ => (Work: scheduler.Next(now, [])!, StepsLeft: 10)).ToList();
        Assert.Equal(2, running.Count(r => r.Work.Ticket.Tenant == "a"));
        Assert.Null(scheduler.ChoosePreemption(running, maxRows: 4, now));
    }

    [Fact]
    public void InteractiveWorkPreemptsBatchRowsDownToBatchsGuaranteedRows()
    {
        var scheduler = Scheduler(batchShare: 0.3);
        var now = DateTimeOffset.UnixEpoch;
        for (int i = 0; i < 8; i++) scheduler.TryEnqueue($"batch-{i}", Ticket("t", priority: WorkPriority.Batch), now);
        var running = Enumerable.Range(0, 4).Select(i => (Work: scheduler.Next(now, [])!, StepsLeft: 10 + i)).ToList();
        Assert.Null(scheduler.ChoosePreemption(running, maxRows: 4, now)); // only batch work: nothing to make room for
        Assert.Equal(2, scheduler.BatchRowsKept(4)); // 30 % of 4 rows, rounded up

        for (int i = 0; i < 3; i++) scheduler.TryEnqueue($"interactive-{i}", Ticket("t"), now);
        for (int round = 0; round < 2; round++)
        {
            var victim = scheduler.ChoosePreemption(running, maxRows: 4, now);
            Assert.NotNull(victim);
            Assert.Equal(WorkPriority.Batch, victim.Ticket.Priority);
            Assert.Equal(running.Where(r => r.Work.Ticket.Priority == WorkPriority.Batch).MaxBy(r => r.StepsLeft).Work, victim);
            running.RemoveAll(r => r.Work == victim);
            scheduler.Suspend(victim, RowCost);
            var started = scheduler.Next(now, [])!;
            Assert.Equal(WorkPriority.Interactive, started.Ticket.Priority);
            running.Add((started, 20));
        }
        // Batch is down to its two guaranteed rows: the third interactive item waits for a free row.
        Assert.Null(scheduler.ChoosePreemption(running, maxRows: 4, now));
    }

    [Fact]
    public void InteractiveWorkDoesNotTakeAnotherTenantsBatchRowsBelowItsShare()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        for (int i = 0; i < 4; i++)
        {
            scheduler.TryEnqueue($"a-{i}", Ticket("a", priority: WorkPriority.Batch), now);
            scheduler.TryEnqueue($"b-{i}", Ticket("b", priority: WorkPriority.Batch), now);
        }
        var running = Enumerable.Range(0, 4).Select(i => (Work: scheduler.Next(now, [])!, StepsLeft: 10 + i)).ToList();
        Assert.Equal(2, running.Count(r => r.Work.Ticket.Tenant == "a"));
        // b's interactive items may displace b's own batch rows, never a's (a holds just its share).
        for (int i = 0; i < 2; i++)
        {
            scheduler.TryEnqueue($"b-interactive-{i}", Ticket("b"), now);
            var victim = scheduler.ChoosePreemption(running, maxRows: 4, now);
            Assert.Equal("b", victim!.Ticket.Tenant);
            running.RemoveAll(r => r.Work == victim);
            scheduler.Suspend(victim, RowCost);
            running.Add((scheduler.Next(now, [])!, 20));
        }
        scheduler.TryEnqueue("b-interactive-2", Ticket("b"), now);
        Assert.Equal(2, running.Count(r => r.Work.Ticket.Tenant == "a"));
        Assert.Null(scheduler.ChoosePreemption(running, maxRows: 4, now));
    }

    [Fact]
    public void RemovedWorkNeverStarts()
    {
        var scheduler = Scheduler();
        var now = DateTimeOffset.UnixEpoch;
        scheduler.TryEnqueue("job1-0", Ticket("a"), now);
        scheduler.TryEnqueue("job2-0", Ticket("a"), now);
        Assert.Equal(["job1-0"], scheduler.Remove(item => item.StartsWith("job1")).Select(w => w.Item));
        Assert.Equal("job2-0", scheduler.Next(now, [])!.Item);
        Assert.Null(scheduler.Next(now, []));
    }
}
