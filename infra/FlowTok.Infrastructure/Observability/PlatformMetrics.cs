using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlowTok.Infrastructure.Observability;

/// <summary>
/// The platform's instruments, all on one meter ("FlowTok.Platform") that the hosts export (OpenTelemetry or Prometheus).
/// One instance per process (a singleton). The code that makes a decision records it (the caller of a cache records the
/// hit or miss); the Redis stores record nothing, so nothing is counted twice.
/// </summary>
public sealed class PlatformMetrics : IDisposable
{
    public const string MeterName = "FlowTok.Platform";

    readonly Meter meter;
    readonly bool ownsMeter;
    readonly Counter<long> outputCacheHits;
    readonly Counter<long> outputCacheMisses;
    readonly Counter<long> promptCacheHits;
    readonly Counter<long> promptCacheMisses;
    readonly Histogram<int> batchSize;
    readonly Histogram<double> requestDuration;
    readonly Histogram<double> itemLatency;
    readonly Counter<long> items;
    readonly Counter<long> endpointReplacements;
    readonly Counter<double> tenantDeviceSeconds;
    readonly Histogram<double> tenantQueueWait;
    readonly Counter<long> tenantItems;
    readonly ConcurrentDictionary<QueueDepthSource, byte> queueDepthSources = new();
    long embeddedSpillBytes = -1;

    /// <param name="meterFactory">The host's factory (DI); null creates a meter this instance owns.</param>
    public PlatformMetrics(IMeterFactory? meterFactory = null)
    {
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        outputCacheHits = meter.CreateCounter<long>("output_cache_hits_total", description: "Requests answered from the output cache.");
        outputCacheMisses = meter.CreateCounter<long>("output_cache_misses_total", description: "Output cache lookups that found nothing.");
        promptCacheHits = meter.CreateCounter<long>("prompt_cache_hits_total", description: "Prompts whose encoding came from the cache (CLIP and text VAE skipped).");
        promptCacheMisses = meter.CreateCounter<long>("prompt_cache_misses_total", description: "Prompts that had to be encoded.");
        batchSize = meter.CreateHistogram<int>("batch_size", unit: "{item}", description: "Items per model forward batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
        requestDuration = meter.CreateHistogram<double>("request_duration_seconds", unit: "s", description: "Gateway request duration by endpoint.");
        itemLatency = meter.CreateHistogram<double>("item_latency_seconds", unit: "s", description: "Time from admission to a finished item (image or caption).");
        items = meter.CreateCounter<long>("items_total", unit: "{item}", description: "Finished items by kind and outcome.");
        endpointReplacements = meter.CreateCounter<long>("receive_endpoint_replacements_total", description: "Times every receive endpoint was replaced by a fresh one after the message broker went away and came back.");
        tenantDeviceSeconds = meter.CreateCounter<double>("tenant_device_seconds_total", unit: "s",
            description: "Device time used per tenant: each sampler step's measured time split evenly among its rows (encoding and decoding too).");
        tenantQueueWait = meter.CreateHistogram<double>("tenant_queue_wait_seconds", unit: "s",
            description: "Time an item waited in a replica's scheduler before it started on the device, per tenant.");
        tenantItems = meter.CreateCounter<long>("tenant_items_total", unit: "{item}",
            description: "Items that left a replica per tenant, kind and outcome (succeeded, failed, cancelled, deadline).");
        meter.CreateObservableGauge("queue_depth", ObserveQueueDepths, unit: "{item}", description: "Items waiting, per queue.");
        meter.CreateObservableGauge("embedded_redis_spill_bytes", ObserveEmbeddedSpill, unit: "By",
            description: "Bytes in the embedded Redis server's spill files, as last measured (one-machine mode only).");
    }

    /// <summary>The meter the instruments live on (for exporters and listeners that filter by instance).</summary>
    public Meter Meter => meter;

    public void RecordOutputCacheLookup(bool hit) => (hit ? outputCacheHits : outputCacheMisses).Add(1);

    public void RecordPromptCacheLookup(bool hit) => (hit ? promptCacheHits : promptCacheMisses).Add(1);

    public void RecordBatchSize(int size) => batchSize.Record(size);

    public void RecordRequestDuration(string endpoint, TimeSpan duration) =>
        requestDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void RecordItemLatency(TimeSpan latency) => itemLatency.Record(latency.TotalSeconds);

    /// <param name="kind">What was produced, e.g. "image" or "caption".</param>
    /// <param name="outcome">How it ended, e.g. "completed", "failed", "cancelled", "cached".</param>
    public void RecordItem(string kind, string outcome) =>
        items.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordEndpointsReplaced() => endpointReplacements.Add(1);

    public void RecordTenantDeviceTime(string tenant, double seconds) =>
        tenantDeviceSeconds.Add(seconds, new KeyValuePair<string, object?>("tenant", tenant));

    public void RecordTenantQueueWait(string tenant, TimeSpan wait) =>
        tenantQueueWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("tenant", tenant));

    /// <param name="outcome">"succeeded", "failed", "cancelled" or "deadline" (dropped before it used a device).</param>
    public void RecordTenantItem(string tenant, string kind, string outcome) =>
        tenantItems.Add(1, new KeyValuePair<string, object?>("tenant", tenant), new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>
    /// Adds a queue whose depth <c>flowtok_queue_depth</c> reports (tag "queue" = <paramref name="queue"/>, e.g. a model
    /// grain key) until the returned handle is disposed. The callback runs on the exporter's thread: keep it cheap and
    /// thread-safe.
    /// </summary>
    public IDisposable AddQueueDepthSource(string queue, Func<long> depth)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(depth);
        var source = new QueueDepthSource(this, queue, depth);
        queueDepthSources.TryAdd(source, 0);
        return source;
    }

    public void Dispose()
    {
        if (ownsMeter)
        {
            meter.Dispose();
        }
    }

    /// <summary>The embedded Redis server's spill files measured <paramref name="bytes"/> (<see cref="Redis.EmbeddedSpillWatch"/>).</summary>
    public void RecordEmbeddedSpill(long bytes) => Interlocked.Exchange(ref embeddedSpillBytes, bytes);

    IEnumerable<Measurement<long>> ObserveEmbeddedSpill()
    {
        long bytes = Interlocked.Read(ref embeddedSpillBytes);
        if (bytes >= 0) yield return new Measurement<long>(bytes);
    }

    IEnumerable<Measurement<long>> ObserveQueueDepths()
    {
        foreach (var source in queueDepthSources.Keys)
        {
            yield return new Measurement<long>(source.Depth(), new KeyValuePair<string, object?>("queue", source.Queue));
        }
    }

    sealed class QueueDepthSource(PlatformMetrics owner, string queue, Func<long> depth) : IDisposable
    {
        public string Queue { get; } = queue;

        public Func<long> Depth { get; } = depth;

        public void Dispose() => owner.queueDepthSources.TryRemove(this, out _);
    }
}
