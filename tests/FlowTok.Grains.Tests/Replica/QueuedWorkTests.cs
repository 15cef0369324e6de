using System.Diagnostics.Metrics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;
using FlowTok.Infrastructure.Observability;

namespace FlowTok.Grains.Tests.Replica;

/// <summary>What a replica tells about its waiting work: a job's position, and the queued device seconds an autoscaler weighs.</summary>
public sealed class QueuedWorkTests
{
    private static long nextId;

    private static WorkItem<string> Item(string job, string tenant, int steps) =>
        new(job, 0, new StepRow(Interlocked.Increment(ref nextId), RowKind.Caption, new RowSettings(steps, 2), new CaptionInput([1])),
            new WorkOrigin(tenant), null);

    private static ReplicaQueue Queue() => new(new ModelHostingOptions { MaxQueueLength = 16, MaxQueueDelay = TimeSpan.Zero }, "sim:0");

    [Fact]
    public void AJobsPositionCountsTheItemsQueuedBeforeItsFirstOne()
    {
        var queue = Queue();
        queue.Add(Item("a", "tenant-a", 10));
        queue.Add(Item("b", "tenant-b", 10));
        queue.Add(Item("c", "tenant-c", 10));
        queue.Add(Item("b", "tenant-b", 10));

        Assert.Equal(1, queue.PositionOf("a"));
        Assert.Equal(2, queue.PositionOf("b"));
        Assert.Equal(3, queue.PositionOf("c"));
        Assert.Null(queue.PositionOf("absent"));

        // A started item no longer waits: the first one still waiting is at position 1.
        var intake = queue.Take(new StepBatcher(1), [])!;
        Assert.Single(intake.Joining);
        Assert.Equal(3, queue.Count);
        Assert.Equal(1, new[] { "a", "b", "c" }.Select(queue.PositionOf).Where(p => p is not null).Min());
    }

    [Fact]
    public void QueuedDeviceSecondsAreStepsLeftTimesTheRowStepCost()
    {
        var queue = Queue();
        queue.RowStepSeconds = 0.5;
        Assert.Equal(0, queue.QueuedDeviceSeconds);
        queue.Add(Item("a", "tenant-a", 10));
        queue.Add(Item("b", "tenant-b", 4));
        Assert.Equal(7.0, queue.QueuedDeviceSeconds, 9);

        queue.RemoveJob("a");
        Assert.Equal(2.0, queue.QueuedDeviceSeconds, 9);
    }

    [Fact]
    public void TheGaugeReportsEachReplicaWithItsModelUntilRemoved()
    {
        var seen = new List<(double Value, string? Replica, string? Model)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PlatformMetrics.MeterName && instrument.Name == ReplicaMetrics.QueuedDeviceSeconds) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            seen.Add((value, all.FirstOrDefault(t => t.Key == "replica").Value as string, all.FirstOrDefault(t => t.Key == "model").Value as string));
        });
        listener.Start();

        string replica = $"gauge-test-{Guid.NewGuid():N}/sim:0";
        using (ReplicaMetrics.Add(replica, "flowtok-test", () => 12.5, () => 0.25))
        {
            listener.RecordObservableInstruments();
            Assert.Contains((12.5, replica, "flowtok-test"), seen);
        }
        seen.Clear();
        listener.RecordObservableInstruments();
        Assert.DoesNotContain(seen, s => s.Replica == replica);
    }
}
