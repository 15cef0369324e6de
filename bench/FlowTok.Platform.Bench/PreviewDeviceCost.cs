using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Platform.Bench;

/// <summary>
/// A preview's cost on the device alone (<c>--previews N</c>): the fastest of several calls of one step over a full batch,
/// and of previews of 1 and of all its rows (a preview is a decode). The fastest call is what the device needs; a shared,
/// loaded machine only adds to it, so these ratios hold where closed-loop throughput is too noisy to show the cost.
/// </summary>
internal static class PreviewDeviceCost
{
    private const int Calls = 10;
    private const int LongGrid = 100;

    public static void Print(ModelHostingOptions options, string device, int rows, int steps)
    {
        // All tensor work on one thread (TorchSharp dispose scopes are per thread), like the replica's loop.
        var thread = new Thread(() => Measure(options, device, rows, steps)) { Name = "preview-cost" };
        thread.Start();
        thread.Join();
    }

    private static void Measure(ModelHostingOptions options, string device, int rows, int steps)
    {
        using var devices = StepDevices.Load(options, device, NullLogger.Instance);
        var generate = devices.Kinds[RowKind.Generate];
        // Rows on a long grid with a preview after every step, so that every step keeps its estimate and 3 x Calls steps fit.
        var batch = Enumerable.Range(0, rows).Select(i => new StepRow(i, RowKind.Generate, new RowSettings(LongGrid, 2, Previews: LongGrid - 1),
            new GenerateInput(PlatformBenchmark.Prompts[i % PlatformBenchmark.Prompts.Length], i, null))).ToList();
        var batcher = new StepBatcher(rows);
        foreach (var row in batch) batcher.Join(row);
        generate.Start(batch);
        void Step()
        {
            generate.Step(batch);
            batcher.Advance(batch);
        }
        double step = Fastest(Step);
        double one = Fastest(Step, () => generate.Preview([batch[0]]));
        double all = Fastest(Step, () => generate.Preview(batch));
        foreach (var row in batch) generate.Release(row);
        Console.WriteLine($"device alone (fastest of {Calls} calls): a step over {rows} rows {step:F1} ms; a preview of 1 row {one:F1} ms, of {rows} rows {all:F1} ms");
        // Rows in lockstep share a preview decode (all / rows each); a row previewed alone pays a whole call (one).
        double stepsPerImage = step * steps / rows;
        Console.WriteLine($"  per image: {stepsPerImage:F1} ms of steps ({steps} steps, {rows} rows a step); each preview adds {all / rows:F1} ms (shared by all rows) to {one:F1} ms (alone): k = 1: +{100 * all / rows / stepsPerImage:F0}% to +{100 * one / stepsPerImage:F0}%, k = 3: +{300 * all / rows / stepsPerImage:F0}% to +{300 * one / stepsPerImage:F0}% device time (final decodes not counted)");
    }

    /// <summary>The fastest of <see cref="Calls"/> runs of <paramref name="timed"/> (each after an untimed <paramref name="before"/>), in ms.</summary>
    private static double Fastest(Action timed) => Fastest(() => { }, timed);

    private static double Fastest(Action before, Action timed)
    {
        double best = double.MaxValue;
        for (int i = 0; i < Calls; i++)
        {
            before();
            long started = Stopwatch.GetTimestamp();
            timed();
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return best;
    }
}
