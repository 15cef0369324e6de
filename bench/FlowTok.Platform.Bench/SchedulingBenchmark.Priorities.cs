using System.Diagnostics;
using FlowTok.Grains.Models;
using FlowTok.Grains.Scheduling;

namespace FlowTok.Platform.Bench;

/// <summary>Priorities and deadlines on the simulated device (experiments 5 and 6).</summary>
internal sealed partial class SchedulingBenchmark
{
    private async Task InteractiveUnderBatchFlood(CancellationToken cancel)
    {
        var batchShare = new SchedulerOptions().BatchMinimumShare;
        var alone = (await OnFreshReplica(cancel, new TenantLoad("t", 1, 1)))["t"];
        // One tenant: tenant fairness cannot help, only priorities can. Without a row cap, and with batch limited to
        // settings.RowsWithInteractive rows in all beside interactive work.
        var runs = new List<(string Name, TenantResult Interactive, double Batch)>();
        foreach (int cap in new[] { 0, settings.RowsWithInteractive })
        {
            var (interactive, flood) = await SameTenantUnderFlood(cap, cancel);
            runs.Add((cap == 0 ? "during the batch flood (no row cap, the default)" : $"during the batch flood, Scheduling:RowsWithInteractive = {cap}", interactive, flood));
        }
        Console.WriteLine($"## 5. Interactive under a batch flood on {Device}: one tenant keeps 48 batch requests of n = 8 in flight (384 images) and makes one-image interactive requests from 1 client");
        Console.WriteLine("| phase | interactive p50 ms | interactive p95 ms | interactive images/s | batch images/s | p95 / alone (target <= 1.5x) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| interactive alone | {alone.Latency.Percentile(50):F0} | {alone.Latency.Percentile(95):F0} | {alone.ImagesPerSecond:F2} | - | - |");
        foreach (var (name, interactive, flood) in runs)
            Console.WriteLine($"| {name} | {interactive.Latency.Percentile(50):F0} | {interactive.Latency.Percentile(95):F0} | {interactive.ImagesPerSecond:F2} | {flood:F2} | " +
                $"{interactive.Latency.Percentile(95) / alone.Latency.Percentile(95):F2}x |");
        double a = settings.StepLatency.TotalMilliseconds, b = settings.RowStepLatency.TotalMilliseconds;
        Console.WriteLine($"a step of one row takes {a + b:0.##} ms, of {settings.MaxRows} rows {a + settings.MaxRows * b:0.##} ms ({(a + settings.MaxRows * b) / (a + b):F2}x), " +
            $"of {settings.RowsWithInteractive} rows {a + settings.RowsWithInteractive * b:0.##} ms ({(a + settings.RowsWithInteractive * b) / (a + b):F2}x): the floor of each row");

        // Both classes saturating (two tenants, so the device seconds of each class can be read from the usage).
        foreach (int cap in new[] { 0, settings.RowsWithInteractive })
        {
            var both = await OnFreshReplica(cap, cancel, new TenantLoad("interactive", 32, 1), new TenantLoad("batch", 48, 8, Priority: WorkPriority.Batch));
            double total = both.Values.Sum(r => r.DeviceSeconds), batch = both["batch"].DeviceSeconds / total;
            Console.WriteLine($"both saturating (32 interactive clients, n = 1; 48 batch clients, n = 8), row cap {(cap == 0 ? "none" : cap)}: batch got {100 * batch:F1}% of device time, " +
                $"{both["batch"].ImagesPerSecond:F2} images/s (guaranteed minimum {100 * batchShare:0}%: Scheduling:BatchMinimumShare); interactive {both["interactive"].ImagesPerSecond:F2} images/s");
        }
        Console.WriteLine();
    }

    private async Task<(TenantResult Interactive, double BatchImagesPerSecond)> SameTenantUnderFlood(int rowsWithInteractive, CancellationToken cancel)
    {
        using var r = Replica(rowsWithInteractive: rowsWithInteractive);
        await r.Loaded;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        long seed = 0, batchImages = 0, windowFrom = long.MaxValue, windowTo = long.MaxValue, interactiveImages = 0;
        var latencies = new Latencies();
        var flood = Enumerable.Range(0, 48).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
                await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
                {
                    await Image(r, "t", Interlocked.Increment(ref seed), settings.Steps, 2, priority: WorkPriority.Batch);
                    long now = Stopwatch.GetTimestamp();
                    if (now >= Interlocked.Read(ref windowFrom) && now <= Interlocked.Read(ref windowTo)) Interlocked.Increment(ref batchImages);
                }));
        }).ToList();
        var client = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                await Image(r, "t", Interlocked.Increment(ref seed), settings.Steps, 2);
                long end = Stopwatch.GetTimestamp();
                if (start >= Interlocked.Read(ref windowFrom) && end <= Interlocked.Read(ref windowTo))
                {
                    latencies.Add(Stopwatch.GetElapsedTime(start, end));
                    interactiveImages++;
                }
            }
        }, cancel);
        await Task.Delay(settings.WarmUp, cancel);
        Interlocked.Exchange(ref windowFrom, Stopwatch.GetTimestamp());
        await Task.Delay(settings.Duration, cancel);
        Interlocked.Exchange(ref windowTo, Stopwatch.GetTimestamp());
        double seconds = Stopwatch.GetElapsedTime(windowFrom, windowTo).TotalSeconds;
        stop.Cancel();
        await Task.WhenAll([.. flood, client]);
        Console.WriteLine($"  (replica: {r.Stats.Preemptions} preemptions, mean rows per step {r.Stats.MeanBatchSize:F2})");
        return (new TenantResult(interactiveImages / seconds, latencies, 0), Interlocked.Read(ref batchImages) / seconds);
    }

    /// <summary>Open-loop arrivals at twice the device's capacity, each with a deadline: expired work is dropped unrun.</summary>
    private async Task DeadlinesUnderOverload(CancellationToken cancel)
    {
        var timeout = TimeSpan.FromSeconds(2);
        using var saturatedReplica = Replica();
        await saturatedReplica.Loaded;
        long s0 = 0;
        double capacity = (await ClosedLoop.RunAsync(64, settings.WarmUp, settings.Duration,
            async () => { await Image(saturatedReplica, "t", Interlocked.Increment(ref s0), settings.Steps, 2); return 1; }, cancel)).ItemsPerSecond;

        using var r = Replica(maxQueued: 100_000);
        await r.Loaded;
        double rate = 2 * capacity;
        var random = new Random(13);
        var latencies = new Latencies();
        var calls = new List<Task>();
        long offered = 0, completed = 0, dropped = 0, otherFailures = 0;
        var clock = Stopwatch.StartNew();
        var end = settings.WarmUp + settings.Duration;
        RunnerStats? atWindow = null;
        for (double at = 0; at < end.TotalSeconds && !cancel.IsCancellationRequested; at += -Math.Log(1 - random.NextDouble()) / rate)
        {
            var due = TimeSpan.FromSeconds(at);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, cancel);
            bool measured = due >= settings.WarmUp;
            if (measured && atWindow is null) atWindow = r.Stats;
            if (measured) offered++;
            long seed = (long)(at * 1000);
            calls.Add(Task.Run(async () =>
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await Image(r, "t", seed, settings.Steps, 2, deadline: DateTimeOffset.UtcNow + timeout);
                    if (!measured) return;
                    latencies.Add(Stopwatch.GetElapsedTime(start));
                    Interlocked.Increment(ref completed);
                }
                catch (DeadlineExceededException)
                {
                    if (measured) Interlocked.Increment(ref dropped);
                }
                catch (Exception)
                {
                    if (measured) Interlocked.Increment(ref otherFailures);
                }
            }, cancel));
        }
        await Task.WhenAll(calls);
        var stats = r.Stats;
        var busy = stats.Busy - (atWindow?.Busy ?? TimeSpan.Zero);
        Console.WriteLine($"## 6. Deadlines under 2x overload on {Device}: open-loop Poisson arrivals at {rate:F2} one-image requests/s (2x the saturated {capacity:F2} images/s), each with a {timeout.TotalSeconds:0} s deadline to reach the device");
        Console.WriteLine("| offered | completed | dropped at deadline | other failures | goodput images/s | completed p50 ms | completed p95 ms | started after their deadline | device busy |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| {offered} | {completed} | {dropped} | {otherFailures} | {completed / settings.Duration.TotalSeconds:F2} | {latencies.Percentile(50):F0} | {latencies.Percentile(95):F0} | " +
            $"{stats.ExpiredStarts} | {100 * busy.TotalSeconds / (clock.Elapsed - settings.WarmUp).TotalSeconds:F0}% |");
        Console.WriteLine($"device time spent on expired work: {stats.ExpiredStarts} items reached the device after their deadline (the replica's counter, whole run); " +
            $"{stats.DeadlineDrops} items were dropped unrun (whole run, warm-up included)");
        Console.WriteLine();
    }
}
