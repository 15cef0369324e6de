using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Platform.Bench;

internal sealed record SchedulingSettings(TimeSpan Duration, TimeSpan WarmUp, TimeSpan StepLatency, TimeSpan RowStepLatency, int MaxRows, int Steps)
{
    /// <summary>Experiments to run (1..6); empty: all.</summary>
    public IReadOnlySet<int> Sections { get; init; } = new HashSet<int>();

    /// <summary>--scheduling section 5: the row cap beside interactive work compared with none (Scheduling:RowsWithInteractive).</summary>
    public int RowsWithInteractive { get; init; } = 5;

    /// <summary>--scheduling-http: Model:Scheduling:RowsBesideLightTenants (0: off, the default).</summary>
    public int RowsBesideLightTenants { get; init; }

    /// <summary>--scheduling-http: the bundled model on cpu:0 instead of the simulated device.</summary>
    public bool RealModel { get; init; }

    public bool Runs(int section) => Sections.Count == 0 || Sections.Contains(section);
}

/// <summary>
/// The replica's serving core (fair scheduler + step batcher) on one simulated device, in process: wall time, almost no CPU.
/// Four experiments, each printing its setup with its figures:
/// 1. two tenants: a small tenant's one-image interactive requests alone, then while a big tenant keeps 48 requests of
///    n = 8 in flight; 2. three tenants at weights 1:2:4, all saturating; 3. distinct guidance per request and steps in
///    {10, 20, 30} versus uniform settings, 4. continuous versus request-level batching at 50 % and 90 % load, and saturated;
/// 5. interactive work under a batch flood, and batch's minimum share; 6. deadlines under 2x overload (5 and 6 are in
/// SchedulingBenchmark.Priorities.cs); with 2, metering against the device's measured busy time.
/// </summary>
internal sealed partial class SchedulingBenchmark(SchedulingSettings settings)
{
    private string Device => $"sim:0 ({settings.StepLatency.TotalMilliseconds:0.##} ms + {settings.RowStepLatency.TotalMilliseconds:0.##} ms per row per step, max {settings.MaxRows} rows)";

    private ModelRunner Replica(BatchingMode mode = BatchingMode.Continuous, int maxQueued = 256, int rowsWithInteractive = 0) => new(new ModelHostingOptions
    {
        Scheduling = new SchedulerOptions { MaxQueuedItems = maxQueued, RowsWithInteractive = rowsWithInteractive },
        Path = "/nonexistent",
        Devices = ["sim:0"],
        MaxBatchSize = settings.MaxRows,
        MaxQueueDelay = TimeSpan.FromMilliseconds(10),
        MaxQueueLength = 4096,
        Batching = mode,
        Simulated = new SimulatedDeviceOptions { StepLatency = settings.StepLatency, RowStepLatency = settings.RowStepLatency },
    }, "sim:0", _ => false, NullLogger.Instance);

    public async Task RunAsync(CancellationToken cancel)
    {
        Console.WriteLine($"device {Device}; {settings.Steps} steps unless stated; warm-up {settings.WarmUp.TotalSeconds:0} s, measured {settings.Duration.TotalSeconds:0} s per phase; replica in process (scheduler + step batcher), no HTTP");
        Console.WriteLine();
        if (settings.Runs(1)) await TwoTenants(cancel);
        if (settings.Runs(2)) await Weights(cancel);
        if (settings.Runs(3)) await MixedSettings(cancel);
        if (settings.Runs(4)) await ContinuousVersusRequestLevel(cancel);
        if (settings.Runs(5)) await InteractiveUnderBatchFlood(cancel);
        if (settings.Runs(6)) await DeadlinesUnderOverload(cancel);
    }

    private static Task<GeneratedImage> Image(ModelRunner runner, string tenant, long seed, int steps, double guidance, double weight = 1,
        WorkPriority priority = WorkPriority.Interactive, DateTimeOffset? deadline = null) =>
        runner.GenerateAsync(tenant, 0, "p", seed, steps, guidance, null, origin: new WorkOrigin(tenant, weight, priority, deadline));

    /// <summary>One tenant's load: closed-loop clients, each asking n images per request at a weight and priority.</summary>
    private sealed record TenantLoad(string Tenant, int Clients, int Images, double Weight = 1, WorkPriority Priority = WorkPriority.Interactive);

    /// <summary>What a tenant got in the measured window: images finished per second (counted per image as it finishes),
    /// latency of requests issued and answered in the window, device seconds.</summary>
    private sealed record TenantResult(double ImagesPerSecond, Latencies Latency, double DeviceSeconds);

    /// <summary>The device's measured busy seconds in the last <see cref="Load"/>'s window (what metering must add up to).</summary>
    private double lastWindowBusySeconds;

    private async Task<Dictionary<string, TenantResult>> Load(ModelRunner r, CancellationToken cancel, params TenantLoad[] loads)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var latencies = loads.ToDictionary(l => l.Tenant, _ => new Latencies());
        long seed = 0, windowFrom = long.MaxValue, windowTo = long.MaxValue;
        var clients = loads.SelectMany(l => Enumerable.Range(0, l.Clients).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                await Task.WhenAll(Enumerable.Range(0, l.Images).Select(_ => Image(r, l.Tenant, Interlocked.Increment(ref seed), settings.Steps, 2, l.Weight, l.Priority)));
                long end = Stopwatch.GetTimestamp();
                if (start >= Interlocked.Read(ref windowFrom) && end <= Interlocked.Read(ref windowTo)) latencies[l.Tenant].Add(Stopwatch.GetElapsedTime(start, end));
            }
        })).ToList();
        await Task.Delay(settings.WarmUp, cancel);
        var (before, busyBefore) = (r.Usage().ToDictionary(u => u.Tenant), r.Stats.Busy);
        Interlocked.Exchange(ref windowFrom, Stopwatch.GetTimestamp());
        await Task.Delay(settings.Duration, cancel);
        Interlocked.Exchange(ref windowTo, Stopwatch.GetTimestamp());
        var (after, busyAfter) = (r.Usage().ToDictionary(u => u.Tenant), r.Stats.Busy);
        lastWindowBusySeconds = (busyAfter - busyBefore).TotalSeconds;
        double seconds = Stopwatch.GetElapsedTime(windowFrom, windowTo).TotalSeconds;
        stop.Cancel();
        await Task.WhenAll(clients);
        return loads.ToDictionary(l => l.Tenant, l =>
        {
            var (b, a) = (before.GetValueOrDefault(l.Tenant), after[l.Tenant]);
            return new TenantResult((a.Items - (b?.Items ?? 0)) / seconds, latencies[l.Tenant], a.DeviceSeconds - (b?.DeviceSeconds ?? 0));
        });
    }

    private Task<Dictionary<string, TenantResult>> OnFreshReplica(CancellationToken cancel, params TenantLoad[] loads) =>
        OnFreshReplica(0, cancel, loads);

    private async Task<Dictionary<string, TenantResult>> OnFreshReplica(int rowsWithInteractive, CancellationToken cancel, params TenantLoad[] loads)
    {
        using var r = Replica(rowsWithInteractive: rowsWithInteractive);
        await r.Loaded;
        var result = await Load(r, cancel, loads);
        if (loads.Length > 1) Console.WriteLine($"  (replica: {r.Stats.Preemptions} preemptions, mean rows per step {r.Stats.MeanBatchSize:F2})");
        return result;
    }

    private async Task TwoTenants(CancellationToken cancel)
    {
        var alone = (await OnFreshReplica(cancel, new TenantLoad("small", 1, 1)))["small"];
        var capacity = (await OnFreshReplica(cancel, new TenantLoad("big", 48, 8)))["big"];
        var flood = await OnFreshReplica(cancel, new TenantLoad("small", 1, 1), new TenantLoad("big", 48, 8));
        var (smallFlood, bigFlood) = (flood["small"], flood["big"]);
        double left = capacity.ImagesPerSecond - smallFlood.ImagesPerSecond;
        double floor = settings.Steps * (settings.StepLatency + settings.MaxRows * settings.RowStepLatency).TotalMilliseconds;
        Console.WriteLine($"## 1. Two tenants on {Device}: small = 1 client, one-image interactive requests; big = 48 clients, n = 8 each (384 images in flight)");
        Console.WriteLine("| phase | small p50 ms | small p95 ms | small images/s | big images/s | big p50 s |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| small alone | {alone.Latency.Percentile(50):F0} | {alone.Latency.Percentile(95):F0} | {alone.ImagesPerSecond:F2} | - | - |");
        Console.WriteLine($"| big alone (device capacity) | - | - | - | {capacity.ImagesPerSecond:F2} | {capacity.Latency.Percentile(50) / 1000:F1} |");
        Console.WriteLine($"| small during big's flood | {smallFlood.Latency.Percentile(50):F0} | {smallFlood.Latency.Percentile(95):F0} | {smallFlood.ImagesPerSecond:F2} | {bigFlood.ImagesPerSecond:F2} | {bigFlood.Latency.Percentile(50) / 1000:F1} |");
        Console.WriteLine($"small p95 flood / alone: {smallFlood.Latency.Percentile(95) / alone.Latency.Percentile(95):F2}x (target <= 1.5x); " +
            $"a {settings.Steps}-step image among {settings.MaxRows} rows takes at least {floor:F0} ms on this device ({floor / alone.Latency.Percentile(95):F2}x small's p95 alone)");
        Console.WriteLine($"big / capacity left (capacity {capacity.ImagesPerSecond:F2} - small {smallFlood.ImagesPerSecond:F2} = {left:F2} images/s): {100 * bigFlood.ImagesPerSecond / left:F1}% (target >= 90%)");
        Console.WriteLine();
    }

    private async Task Weights(CancellationToken cancel)
    {
        TenantLoad[] loads = [new("w1", 32, 1, 1), new("w2", 32, 1, 2), new("w4", 32, 1, 4)];
        var result = await OnFreshReplica(cancel, loads);
        double total = result.Values.Sum(r => r.DeviceSeconds);
        Console.WriteLine($"## 2. Weights 1:2:4 on {Device}: three tenants, 32 clients each, one-image requests, all saturating; device seconds per tenant over the window");
        Console.WriteLine("| tenant | weight | device s | share | target | relative error | images/s |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var l in loads)
        {
            double share = result[l.Tenant].DeviceSeconds / total, target = l.Weight / 7.0;
            Console.WriteLine($"| {l.Tenant} | {l.Weight} | {result[l.Tenant].DeviceSeconds:F2} | {100 * share:F2}% | {100 * target:F2}% | {100 * (share - target) / target:+0.0;-0.0;0.0}% | {result[l.Tenant].ImagesPerSecond:F2} |");
        }
        Console.WriteLine();
        Console.WriteLine($"## 2b. Metering on {Device}, same window: per-tenant device seconds (each device-loop iteration's wall time split among its rows) against the device's measured busy time");
        Console.WriteLine("| sum of tenants' device s | device busy s | difference | window s |");
        Console.WriteLine("| --- | --- | --- | --- |");
        Console.WriteLine($"| {total:F3} | {lastWindowBusySeconds:F3} | {100 * (total - lastWindowBusySeconds) / lastWindowBusySeconds:+0.00;-0.00;0.00}% (target within 1%) | {settings.Duration.TotalSeconds:0} |");
        Console.WriteLine();
    }

    private async Task MixedSettings(CancellationToken cancel)
    {
        async Task<(ClosedLoop.Window Window, double RowStepsPerSecond)> Run(bool mixed)
        {
            using var r = Replica();
            await r.Loaded;
            var started = Stopwatch.GetTimestamp();
            var random = new Random(7);
            long seed = 0;
            var window = await ClosedLoop.RunAsync(32, settings.WarmUp, settings.Duration, async () =>
            {
                int steps;
                double guidance;
                lock (random) (steps, guidance) = mixed ? (10 * random.Next(1, 4), Math.Round(1 + 4 * random.NextDouble(), 3)) : (20, 2.0);
                await Image(r, "t", Interlocked.Increment(ref seed), steps, guidance);
                return 1;
            }, cancel);
            return (window, r.Stats.RowSteps / Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        var (uniform, uniformRowSteps) = await Run(false);
        var (mixedRun, mixedRowSteps) = await Run(true);
        Console.WriteLine($"## 3. Settings on {Device}: 32 clients, one-image requests, continuous batching");
        Console.WriteLine("| settings | images/s | row-steps/s (whole run) | p50 ms | p95 ms |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        Console.WriteLine($"| uniform: 20 steps, guidance 2 | {uniform.ItemsPerSecond:F2} | {uniformRowSteps:F0} | {uniform.Latency.Percentile(50):F0} | {uniform.Latency.Percentile(95):F0} |");
        Console.WriteLine($"| distinct guidance per request (1..5), steps 10/20/30 | {mixedRun.ItemsPerSecond:F2} | {mixedRowSteps:F0} | {mixedRun.Latency.Percentile(50):F0} | {mixedRun.Latency.Percentile(95):F0} |");
        Console.WriteLine($"mixed / uniform: {mixedRun.ItemsPerSecond / uniform.ItemsPerSecond:F2}x images/s, {mixedRowSteps / uniformRowSteps:F2}x row-steps/s (target >= 0.9x; " +
            "steps are drawn 20 on average, but closed-loop clients finish short items more often, so images/s favours the mix; row-steps/s is the device work done)");
        Console.WriteLine();
    }

    private async Task ContinuousVersusRequestLevel(CancellationToken cancel)
    {
        var saturated = new Dictionary<BatchingMode, ClosedLoop.Window>();
        foreach (var mode in new[] { BatchingMode.Continuous, BatchingMode.RequestLevel })
        {
            using var r = Replica(mode);
            await r.Loaded;
            long seed = 0;
            saturated[mode] = await ClosedLoop.RunAsync(64, settings.WarmUp, settings.Duration,
                async () => { await Image(r, "t", Interlocked.Increment(ref seed), settings.Steps, 2); return 1; }, cancel);
        }
        double capacity = saturated[BatchingMode.Continuous].ItemsPerSecond;
        Console.WriteLine($"## 4. Continuous vs request-level batching on {Device}: one-image requests, {settings.Steps} steps; open-loop Poisson arrivals at a fraction of continuous batching's saturation throughput ({capacity:F2} images/s)");
        Console.WriteLine("| batching | load | offered images/s | completed images/s | p50 ms | p95 ms |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var load in new[] { 0.5, 0.9 })
            foreach (var mode in new[] { BatchingMode.Continuous, BatchingMode.RequestLevel })
            {
                using var r = Replica(mode);
                await r.Loaded;
                var (done, latencies) = await OpenLoop(r, load * capacity, cancel);
                Console.WriteLine($"| {mode} | {100 * load:0}% | {load * capacity:F2} | {done:F2} | {latencies.Percentile(50):F0} | {latencies.Percentile(95):F0} |");
            }
        foreach (var (mode, window) in saturated)
            Console.WriteLine($"| {mode} | saturated (64 clients) | - | {window.ItemsPerSecond:F2} | {window.Latency.Percentile(50):F0} | {window.Latency.Percentile(95):F0} |");
        Console.WriteLine();
    }

    /// <summary>Poisson arrivals at <paramref name="rate"/> per second; latencies of arrivals after the warm-up.</summary>
    private async Task<(double Completed, Latencies Latency)> OpenLoop(ModelRunner r, double rate, CancellationToken cancel)
    {
        var random = new Random(11);
        var latencies = new Latencies();
        var calls = new List<Task>();
        var clock = Stopwatch.StartNew();
        var end = settings.WarmUp + settings.Duration;
        long completed = 0;
        for (double at = 0; at < end.TotalSeconds && !cancel.IsCancellationRequested; at += -Math.Log(1 - random.NextDouble()) / rate)
        {
            var due = TimeSpan.FromSeconds(at);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, cancel);
            bool measured = due >= settings.WarmUp;
            long seed = (long)(at * 1000);
            calls.Add(Task.Run(async () =>
            {
                long start = Stopwatch.GetTimestamp();
                await Image(r, "t", seed, settings.Steps, 2);
                if (!measured) return;
                latencies.Add(Stopwatch.GetElapsedTime(start));
                Interlocked.Increment(ref completed);
            }, cancel));
        }
        await Task.WhenAll(calls);
        return (completed / settings.Duration.TotalSeconds, latencies);
    }
}
