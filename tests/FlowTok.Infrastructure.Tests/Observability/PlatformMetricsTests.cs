using System.Diagnostics.Metrics;
using FlowTok.Infrastructure.Observability;

namespace FlowTok.Infrastructure.Tests.Observability;

public sealed class PlatformMetricsTests
{
    [Fact]
    public void InstrumentsHaveThePublishedNamesOnOneMeter()
    {
        using var metrics = new PlatformMetrics();
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter == metrics.Meter)
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();

        Assert.Equal(PlatformMetrics.MeterName, metrics.Meter.Name);
        Assert.Equal(
            [
                "batch_size", "embedded_redis_spill_bytes", "item_latency_seconds", "items_total", "output_cache_hits_total",
                "output_cache_misses_total", "prompt_cache_hits_total", "prompt_cache_misses_total",
                "queue_depth", "receive_endpoint_replacements_total", "request_duration_seconds",
                "tenant_device_seconds_total", "tenant_items_total", "tenant_queue_wait_seconds",
            ],
            names.Order());
    }

    [Fact]
    public void MeasurementsCarryTheirTags()
    {
        using var metrics = new PlatformMetrics();
        var seen = new List<(string Name, double Value, string Tags)>();
        using var listener = Listen(metrics.Meter, seen);

        metrics.RecordItem("image", "completed");
        metrics.RecordRequestDuration("/v1/images/generations", TimeSpan.FromMilliseconds(1500));
        metrics.RecordBatchSize(8);
        metrics.RecordItemLatency(TimeSpan.FromSeconds(2));
        metrics.RecordPromptCacheLookup(hit: true);
        metrics.RecordOutputCacheLookup(hit: false);

        Assert.Equal(
            [
                ("items_total", 1, "kind=image,outcome=completed"),
                ("request_duration_seconds", 1.5, "endpoint=/v1/images/generations"),
                ("batch_size", 8, ""),
                ("item_latency_seconds", 2, ""),
                ("prompt_cache_hits_total", 1, ""),
                ("output_cache_misses_total", 1, ""),
            ],
            seen);
    }

    [Fact]
    public void TenantMeteringIsTaggedByTenant()
    {
        using var metrics = new PlatformMetrics();
        var seen = new List<(string Name, double Value, string Tags)>();
        using var listener = Listen(metrics.Meter, seen);

        metrics.RecordTenantDeviceTime("acme", 0.025);
        metrics.RecordTenantQueueWait("acme", TimeSpan.FromMilliseconds(300));
        metrics.RecordTenantItem("acme", "generation", "deadline");

        Assert.Equal(
            [
                ("tenant_device_seconds_total", 0.025, "tenant=acme"),
                ("tenant_queue_wait_seconds", 0.3, "tenant=acme"),
                ("tenant_items_total", 1, "tenant=acme,kind=generation,outcome=deadline"),
            ],
            seen);
    }

    [Fact]
    public void QueueDepthReportsEverySourceUntilItIsRemoved()
    {
        using var metrics = new PlatformMetrics();
        var seen = new List<(string Name, double Value, string Tags)>();
        using var listener = Listen(metrics.Meter, seen);
        long depthA = 3;
        using var a = metrics.AddQueueDepthSource("node-a/cpu:0", () => depthA);
        var b = metrics.AddQueueDepthSource("node-a/cuda:0", () => 7);

        depthA = 4;
        listener.RecordObservableInstruments();
        var first = seen.Order().ToArray();
        seen.Clear();
        b.Dispose();
        listener.RecordObservableInstruments();

        Assert.Equal([("queue_depth", 4, "queue=node-a/cpu:0"), ("queue_depth", 7, "queue=node-a/cuda:0")], first);
        Assert.Equal([("queue_depth", 4, "queue=node-a/cpu:0")], seen);
    }

    static MeterListener Listen(Meter meter, List<(string Name, double Value, string Tags)> seen)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            seen.Add((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        return listener;
    }
}
