using System.Collections.Concurrent;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>The replica (scheduler + step batcher + backend) on a simulated device: isolation, deadlines, fairness, metering.</summary>
public sealed class ReplicaTests
{
    private static ModelRunner Start(int maxBatch = 4, int delayMs = 50, Func<string, bool>? cancelled = null, int stepMs = 4) => new(
        new ModelHostingOptions
        {
            Path = "/nonexistent",
            MaxBatchSize = maxBatch,
            MaxQueueDelay = TimeSpan.FromMilliseconds(delayMs),
            Simulated = new SimulatedDeviceOptions { StepLatency = TimeSpan.FromMilliseconds(stepMs), RowStepLatency = TimeSpan.FromMilliseconds(1), ImageSize = 16 },
        },
        "sim:0", cancelled ?? (_ => false), NullLogger.Instance);

    [Fact]
    public async Task ARowThatFailsFailsAloneAndItsCompanionsFinish()
    {
        using var runner = Start();
        await runner.Loaded;
        var good = Enumerable.Range(0, 3).Select(i => runner.GenerateAsync("job-ok", i, "a red circle", i, 6, 2, null)).ToList();
        var bad = runner.GenerateAsync("job-bad", 0, SimulatedStepDevice.FailMarker + " a blue square", 9, 6, 2, null);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Contains("simulated device failure", error.Message);
        foreach (var image in await Task.WhenAll(good)) Assert.NotEmpty(image.Png);
        Assert.Equal(3, runner.Stats.Items);
    }

    [Fact]
    public async Task WorkWhoseDeadlinePassedIsDroppedBeforeItUsesTheDevice()
    {
        using var runner = Start(maxBatch: 1);
        await runner.Loaded;
        var first = runner.GenerateAsync("job-a", 0, "a red circle", 1, 20, 2, null);
        var late = runner.GenerateAsync("job-b", 0, "a red circle", 2, 20, 2, null,
            origin: new WorkOrigin("b", Deadline: DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(20)));
        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => late);
        Assert.Contains("deadline", error.Message);
        await first;
        var stats = runner.Stats;
        Assert.Equal(1, stats.DeadlineDrops);
        Assert.Equal(20, stats.RowSteps); // the dropped item never took a step
        Assert.Equal(1, runner.Usage().Single(u => u.Tenant == "b").DeadlineDrops);
    }

    [Fact]
    public async Task ASmallTenantIsNotQueuedBehindABigTenantsFlood()
    {
        using var runner = Start(maxBatch: 2);
        await runner.Loaded;
        // The order in which the replica ends items (on its loop), not the order in which their continuations get threads.
        var finished = new ConcurrentQueue<string>();
        runner.ItemEnded += (tenant, _, _) => finished.Enqueue(tenant);
        // The small item arrives from the replica's own loop at the end of the flood's second step: a test thread polling
        // for it may not get a thread on a loaded machine until the flood is over.
        int doneBefore = -1;
        var small = new TaskCompletionSource<Task<GeneratedImage>>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.BatchCompleted += (_, _) =>
        {
            if (doneBefore >= 0 || runner.Stats.Steps < 2) return;
            doneBefore = finished.Count;
            small.SetResult(runner.GenerateAsync("small", 0, "p", 1, 5, 2, null, origin: new WorkOrigin("small")));
        };
        var big = Enumerable.Range(0, 30).Select(i => runner.GenerateAsync("big", i, "p", i, 5, 2, null, origin: new WorkOrigin("big"))).ToList();
        await Task.WhenAll(big.Append(await small.Task));
        int position = finished.ToList().IndexOf("small") - doneBefore;
        Assert.True(doneBefore < 24, $"{doneBefore} of the 30 big items finished before the small one arrived: the test did not flood");
        // FIFO would put it after every big item still queued; fair queuing starts it at the next free slot.
        Assert.True(position <= 6, $"the small tenant's item finished {position + 1}th of the {31 - doneBefore} items left when it arrived");
    }

    [Fact]
    public async Task ASmallTenantsItemTakesARowAtTheNextStepWhenAFloodHoldsThemAll()
    {
        using var runner = Start(maxBatch: 2);
        await runner.Loaded;
        var big = Enumerable.Range(0, 12).Select(i => runner.GenerateAsync("big", i, "p", i, 10, 2, null, origin: new WorkOrigin("big"))).ToList();
        while (runner.Stats.Steps < 3) await Task.Delay(5);
        // Counted when the replica ends the item (on its loop), not when this test's continuation gets a thread: on a busy
        // machine the loop may take many more steps before that.
        long stepsAtEnd = -1;
        runner.ItemEnded += (tenant, _, _) => { if (tenant == "small") Interlocked.Exchange(ref stepsAtEnd, runner.Stats.Steps); };
        long before = runner.Stats.Steps;
        await runner.GenerateAsync("small", 0, "p", 1, 10, 2, null, origin: new WorkOrigin("small"));
        long waited = Interlocked.Read(ref stepsAtEnd) - before;
        // Its 10 steps plus at most a step boundary or two; waiting for a big row to finish would take up to 10 more.
        Assert.True(waited <= 12, $"the small tenant's 10-step item took {waited} steps");
        Assert.True(runner.Stats.Preemptions >= 1);
        // The preempted row resumed: every big item still finishes, each with exactly its 10 steps.
        await Task.WhenAll(big);
        Assert.Equal(13 * 10, runner.Stats.RowSteps);
    }

    [Fact]
    public async Task EachStepsDeviceTimeIsChargedToTheTenantsOfItsRows()
    {
        using var runner = Start(maxBatch: 4);
        await runner.Loaded;
        var charged = new ConcurrentDictionary<string, double>();
        runner.DeviceTimeCharged += (tenant, seconds) => charged.AddOrUpdate(tenant, seconds, (_, s) => s + seconds);
        await Task.WhenAll(
            runner.GenerateAsync("a", 0, "p", 1, 10, 2, null, origin: new WorkOrigin("a")),
            runner.GenerateAsync("b", 0, "p", 1, 10, 2, null, origin: new WorkOrigin("b")),
            runner.GenerateAsync("b", 1, "p", 2, 10, 2, null, origin: new WorkOrigin("b")));
        var usage = runner.Usage().ToDictionary(u => u.Tenant);
        // b had two rows in every step a had one in: twice the device time.
        Assert.InRange(usage["b"].DeviceSeconds / usage["a"].DeviceSeconds, 1.8, 2.2);
        Assert.Equal(2, usage["b"].Items);
        Assert.Equal(usage["a"].DeviceSeconds, charged["a"], 6);
        // Charges add up to the time the device was busy (each iteration's whole wall time is charged to its rows).
        double busy = runner.Stats.Busy.TotalSeconds;
        Assert.InRange(usage.Values.Sum(u => u.DeviceSeconds), 0.99 * busy, 1.01 * busy);
    }

    [Fact]
    public async Task CaptionAndGenerationRowsRunSideBySide()
    {
        using var runner = Start(maxBatch: 4);
        await runner.Loaded;
        var caption = runner.CaptionAsync("c", 0, [1, 2, 3], 4, 2);
        var image = runner.GenerateAsync("g", 0, "p", 1, 4, 2, null);
        Assert.Contains("simulated caption", await caption);
        Assert.NotEmpty((await image).Png);
        Assert.Equal(2, runner.Stats.MaxRows);
    }

    [Fact]
    public async Task BatchWorkWaitsForInteractiveWorkButIsNotStarved()
    {
        // Steps long enough that the device's time, not the host's bookkeeping (charged too), decides the shares; one item
        // first so that no item pays for compiling the loop's code paths.
        using var runner = Start(maxBatch: 1, delayMs: 0, stepMs: 20);
        await runner.Loaded;
        await runner.GenerateAsync("warm-up", 0, "p", 0, 3, 2, null);
        var order = new ConcurrentQueue<string>();
        var blocker = runner.GenerateAsync("x", 0, "p", 0, 3, 2, null);
        var batch = runner.GenerateAsync("jobs", 0, "p", 1, 3, 2, null, origin: new WorkOrigin("jobs", Priority: WorkPriority.Batch))
            .ContinueWith(_ => order.Enqueue("batch"));
        var interactive = Enumerable.Range(0, 40).Select(i => runner.GenerateAsync("chat", i, "p", i, 3, 2, null, origin: new WorkOrigin("chat"))
            .ContinueWith(_ => order.Enqueue($"chat-{i}"))).ToList();
        await Task.WhenAll(interactive.Append(batch).Append(blocker));
        int position = order.ToList().IndexOf("batch");
        // Queued before all 40 interactive items, FIFO would run it first. A 10% share: it waits for about 9 interactive items
        // (fewer when measured costs run over the estimates on a busy machine), then takes its turn.
        Assert.True(position >= 3, $"the batch item went after only {position} interactive items");
        Assert.True(position <= 20, $"the batch item waited for {position} interactive items");
    }
}
