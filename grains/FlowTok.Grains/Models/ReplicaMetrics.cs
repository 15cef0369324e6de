using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlowTok.Infrastructure.Observability;

namespace FlowTok.Grains.Models;

/// <summary>
/// Per replica and model, on the platform meter (<see cref="PlatformMetrics.MeterName"/>; Prometheus adds
/// <c>flowtok_platform_</c>), tagged <c>replica</c> ("{silo}/{device}") and <c>model</c>:
/// <list type="bullet">
/// <item><c>queued_device_seconds</c>: device seconds the queued items are expected to cost (steps left x the measured cost
/// of a row-step). Summed per model it is what an autoscaler weighs: a few long jobs are more work than many short ones.</item>
/// <item><c>batch_occupancy</c>: rows in the device's batch now / the most it holds (0..1).</item>
/// <item><c>step_duration_seconds</c>: wall time of one sampler step (one forward over the batch).</item>
/// </list>
/// Any exporter that reads the platform meter by name reads them.
/// </summary>
public static class ReplicaMetrics
{
    public const string QueuedDeviceSeconds = "queued_device_seconds";
    public const string BatchOccupancy = "batch_occupancy";
    public const string StepDuration = "step_duration_seconds";

    private static readonly Meter Meter = new(PlatformMetrics.MeterName);
    private static readonly ConcurrentDictionary<Source, byte> Sources = new();
    private static readonly Histogram<double> Steps = Meter.CreateHistogram<double>(StepDuration, unit: "s",
        description: "Wall time of one sampler step (one forward over the batch), per replica and model.");

    static ReplicaMetrics()
    {
        Meter.CreateObservableGauge(QueuedDeviceSeconds, () => Observe(s => s.QueuedSeconds()), unit: "s",
            description: "Device seconds the items queued on a replica are expected to cost, per replica and model.");
        Meter.CreateObservableGauge(BatchOccupancy, () => Observe(s => s.Occupancy()),
            description: "Rows in a replica's batch now over the most it holds (0..1), per replica and model.");
    }

    /// <summary>Reports the replica's gauges until the returned handle is disposed (the callbacks run on the exporter's
    /// thread: cheap and thread-safe).</summary>
    public static IDisposable Add(string replica, string model, Func<double> queuedDeviceSeconds, Func<double> batchOccupancy)
    {
        var source = new Source(replica, model, queuedDeviceSeconds, batchOccupancy);
        Sources.TryAdd(source, 0);
        return source;
    }

    public static void RecordStep(string replica, string model, TimeSpan elapsed) =>
        Steps.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("replica", replica), new KeyValuePair<string, object?>("model", model));

    private static List<Measurement<double>> Observe(Func<Source, double> value) =>
        Sources.Keys.Select(s => new Measurement<double>(value(s),
            new KeyValuePair<string, object?>("replica", s.Replica), new KeyValuePair<string, object?>("model", s.Model))).ToList();

    private sealed class Source(string replica, string model, Func<double> queuedSeconds, Func<double> occupancy) : IDisposable
    {
        public string Replica { get; } = replica;
        public string Model { get; } = model;
        public Func<double> QueuedSeconds { get; } = queuedSeconds;
        public Func<double> Occupancy { get; } = occupancy;

        public void Dispose() => Sources.TryRemove(this, out _);
    }
}
