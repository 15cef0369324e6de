using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Platform.Bench;

/// <summary>
/// What previews cost (<c>--previews N</c>): one replica in process, a closed loop of callers, first without previews and then
/// with N per image, twice in turn; images/s, time to the first preview and time to the image. On a simulated device (a preview costs a
/// decode: --sim-step-ms + n x --sim-row-step-ms, the same as one step, stated below) and, with --real-model, the bundled
/// model on cpu:0 (a preview decodes x_t + (1 - t) v with the image tokenizer's decoder). First, the device's own cost (<see cref="PreviewDeviceCost"/>).
/// </summary>
internal sealed class PreviewBenchmark(SchedulingSettings settings, int clients, int previews)
{
    private sealed record Phase(double ImagesPerSecond, Latencies FirstPreview, Latencies Image, double MeanRows);

    public async Task RunAsync(CancellationToken cancel)
    {
        string device = settings.RealModel ? "cpu:0" : "sim:0";
        var options = new ModelHostingOptions
        {
            Path = new ModelHostingOptions().ResolvePath(),
            MaxBatchSize = settings.MaxRows,
            MaxQueueDelay = TimeSpan.FromMilliseconds(10),
            MaxQueueLength = 4096,
            Devices = [device],
            Simulated = new SimulatedDeviceOptions
            {
                StepLatency = settings.StepLatency, RowStepLatency = settings.RowStepLatency,
                DecodeLatency = settings.StepLatency, DecodeRowLatency = settings.RowStepLatency,
            },
        };
        if (settings.RealModel) OpenMpSettings.ApplyServingDefault();
        PreviewDeviceCost.Print(options, device, settings.MaxRows, settings.Steps);
        using var runner = new ModelRunner(options, device, _ => false, NullLogger.Instance);
        var model = await runner.Loaded;
        Console.WriteLine($"previews benchmark: device {device} ({model.Version}){(settings.RealModel ? $", {Environment.ProcessorCount} cores" : $": step {settings.StepLatency.TotalMilliseconds} ms + {settings.RowStepLatency.TotalMilliseconds} ms/row, decode (final or preview) the same")}");
        Console.WriteLine($"{clients} callers in a closed loop, {settings.Steps} steps, max batch {settings.MaxRows}, {settings.WarmUp.TotalSeconds:F0} s warm-up + {settings.Duration.TotalSeconds:F0} s per phase, {Rounds} rounds; previews after steps {string.Join(", ", new PreviewSchedule(settings.Steps, previews).Steps)}");
        // Alternating phases (without, with, without, with): a machine whose load drifts shifts both alike.
        var phases = new List<(int Previews, Phase Phase)>();
        for (int round = 0; round < Rounds; round++)
            foreach (int n in new[] { 0, previews }) phases.Add((n, await Measure(runner, n, cancel)));
        Console.WriteLine();
        Console.WriteLine("| round | partial_images | images/s | mean rows/step | first preview ms p50 / p95 | image ms p50 / p95 |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        for (int i = 0; i < phases.Count; i++)
        {
            var (n, phase) = phases[i];
            Console.WriteLine($"| {i / 2 + 1} | {n} | {phase.ImagesPerSecond:F2} | {phase.MeanRows:F2} | {(n == 0 ? "-" : $"{phase.FirstPreview.Percentile(50):F0} / {phase.FirstPreview.Percentile(95):F0}")} | {phase.Image.Percentile(50):F0} / {phase.Image.Percentile(95):F0} |");
        }
        double Rate(int n) => phases.Where(p => p.Previews == n).Sum(p => p.Phase.ImagesPerSecond);
        Console.WriteLine($"throughput with {previews} previews per image: {100 * Rate(previews) / Rate(0):F1}% of without (summed over the rounds)");
    }

    private const int Rounds = 2;

    private async Task<Phase> Measure(ModelRunner runner, int previewCount, CancellationToken cancel)
    {
        var firstPreview = new Latencies();
        long seed = previewCount * 10_000_000L;
        var before = runner.Stats;
        var window = await ClosedLoop.RunAsync(clients, settings.WarmUp, settings.Duration, async () =>
        {
            long s = Interlocked.Increment(ref seed);
            long started = Stopwatch.GetTimestamp();
            int seen = 0;
            await runner.GenerateAsync("bench", 0, PlatformBenchmark.Prompts[s % PlatformBenchmark.Prompts.Length], s, settings.Steps, 2, null,
                previews: previewCount, preview: previewCount == 0 ? null : (index, _, _, _) =>
                {
                    if (index == 0 && Interlocked.Increment(ref seen) == 1) firstPreview.Add(Stopwatch.GetElapsedTime(started));
                });
            return 1;
        }, cancel);
        var after = runner.Stats;
        return new Phase(window.ItemsPerSecond, firstPreview, window.Latency, (double)(after.RowSteps - before.RowSteps) / Math.Max(1, after.Steps - before.Steps));
    }
}
