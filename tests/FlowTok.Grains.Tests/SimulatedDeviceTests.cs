using System.Diagnostics;
using FlowTok.Grains.Models;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Grains.Tests;

/// <summary>A simulated device takes the configured time per step, batches like a real one, and loads no model.</summary>
public sealed class SimulatedDeviceTests
{
    private static readonly SimulatedDeviceOptions Timing = new()
    {
        BatchLatency = TimeSpan.FromMilliseconds(150),
        ItemLatency = TimeSpan.FromMilliseconds(25),
        ImageSize = 32,
    };

    [Fact]
    public async Task ABatchTakesTheConfiguredTimeAndGivesImagesOfTheConfiguredSize()
    {
        using var runner = new ModelRunner(new ModelHostingOptions { Path = "/nonexistent", Simulated = Timing, MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(100) },
            "sim:0", _ => false, NullLogger.Instance);
        var model = await runner.Loaded;
        Assert.StartsWith("simulated@", model.Version);

        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => runner.GenerateAsync("job", i, "anything", i, steps: 5, guidance: 2, cached: null)));
        // Per step a + n b, with a and b the per-batch figures over the reference 20 steps.
        var expected = 5 * (Timing.BatchLatency + 4 * Timing.ItemLatency) / SimulatedDeviceOptions.ReferenceSteps;
        Assert.True(watch.Elapsed >= expected, $"5 steps of 4 rows took {watch.Elapsed.TotalMilliseconds:F0} ms, expected at least {expected.TotalMilliseconds:F0}");
        Assert.Equal(5, runner.Stats.Steps);
        Assert.Equal(4, runner.Stats.MaxRows);
        using var image = Image.Load<Rgb24>(results[0].Png);
        Assert.Equal(Timing.ImageSize, image.Width);
        Assert.NotEqual(results[0].Png, results[1].Png); // the seed picks the image
    }

    [Fact]
    public async Task ACancelledItemLeavesASimulatedBatch()
    {
        var cancelled = false;
        using var runner = new ModelRunner(new ModelHostingOptions { Path = "/nonexistent", Simulated = Timing, MaxBatchSize = 2, MaxQueueDelay = TimeSpan.FromMilliseconds(100) },
            "sim:0", job => job == "stop" && cancelled, NullLogger.Instance);
        await runner.Loaded;
        var keeps = runner.GenerateAsync("keep", 0, "a", 1, 10, 2, null);
        var stops = runner.GenerateAsync("stop", 0, "b", 2, 10, 2, null, (step, _) => { if (step == 2) cancelled = true; });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stops);
        Assert.NotEmpty((await keeps).Png);
    }
}
