using System.Collections.Concurrent;
using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>Previews on a simulated device: when they are made, what they cost, and that they leave the final image alone.</summary>
public sealed class PreviewTests
{
    private static readonly SimulatedDeviceOptions Simulated = new()
    {
        StepLatency = TimeSpan.FromMilliseconds(2), RowStepLatency = TimeSpan.FromMilliseconds(1),
        DecodeLatency = TimeSpan.FromMilliseconds(3), DecodeRowLatency = TimeSpan.FromMilliseconds(2), ImageSize = 16,
    };

    [Theory]
    [InlineData(20, 3, new[] { 5, 10, 15 })]
    [InlineData(20, 2, new[] { 6, 13 })]
    [InlineData(8, 1, new[] { 4 })]
    [InlineData(2, 3, new[] { 1 })]
    [InlineData(1, 3, new int[0])]
    [InlineData(20, 0, new int[0])]
    public void PreviewsFollowEvenlySpacedStepsBeforeTheLast(int steps, int previews, int[] expected)
    {
        var schedule = new PreviewSchedule(steps, previews);
        Assert.Equal(expected, schedule.Steps);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(i, schedule.IndexAfter(expected[i]));
        Assert.Null(schedule.IndexAfter(steps));
    }

    [Fact]
    public async Task AnItemGetsItsPreviewsInOrderBeforeItsImageAndTheImageIsTheSameWithout()
    {
        using var runner = new ModelRunner(new ModelHostingOptions { Path = "/nonexistent", MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(20), Simulated = Simulated },
            "sim:0", _ => false, NullLogger.Instance);
        await runner.Loaded;
        var seen = new ConcurrentQueue<(int Index, int Step, byte[] Png)>();
        // In the order the replica's loop does things: previews, then the item's end.
        var order = new ConcurrentQueue<string>();
        runner.ItemEnded += (tenant, _, _) => { if (tenant == "previews") order.Enqueue("image"); };
        var plain = runner.GenerateAsync("job-plain", 0, "a red circle", 5, 20, 2, null);
        var previewed = runner.GenerateAsync("job-previews", 0, "a red circle", 5, 20, 2, null, origin: new WorkOrigin("previews"), previews: 3,
            preview: (index, step, steps, png) =>
            {
                seen.Enqueue((index, step, png));
                order.Enqueue($"preview {index}");
            });
        var (a, b) = (await plain, await previewed);

        Assert.Equal(a.Png, b.Png);
        Assert.Equal([(0, 5), (1, 10), (2, 15)], seen.Select(p => (p.Index, p.Step)));
        Assert.Equal(["preview 0", "preview 1", "preview 2", "image"], order);
        using var first = Image.Load<Rgb24>(seen.First().Png);
        using var final = Image.Load<Rgb24>(b.Png);
        Assert.Equal((16, 16), (first.Width, first.Height));
        // Previews approach the final image: each is closer to it than the one before.
        var distances = seen.Select(p => Distance(p.Png, b.Png)).ToList();
        Assert.True(distances.SequenceEqual(distances.OrderByDescending(d => d)) && distances[^1] > 0, string.Join(", ", distances));
        Assert.Equal(40, runner.Stats.RowSteps); // previews take no steps
    }

    [Fact]
    public void APreviewCostsWhatDecodingTheRowsCosts()
    {
        var device = new SimulatedStepDevice(RowKind.Generate, Simulated, new SimulatedOutputs(Simulated));
        var rows = Enumerable.Range(0, 3).Select(i => new StepRow(i, RowKind.Generate, new RowSettings(20, 2, Previews: 1), new GenerateInput("p", i, null))).ToList();
        device.Start(rows);
        var clock = Stopwatch.StartNew();
        var pngs = device.Preview(rows);
        Assert.Equal(3, pngs.Count);
        // A lower bound only (a loaded machine may take longer): 3 ms + 3 x 2 ms.
        Assert.True(clock.Elapsed >= Simulated.DecodeTime(3), $"3 previews took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void CaptionRowsHaveNoPreviews()
    {
        var device = new SimulatedStepDevice(RowKind.Caption, Simulated, new SimulatedOutputs(Simulated));
        var row = new StepRow(1, RowKind.Caption, new RowSettings(4, 2), new CaptionInput([1, 2, 3]));
        device.Start([row]);
        Assert.Throws<NotSupportedException>(() => device.Preview([row]));
    }

    /// <summary>Mean absolute difference per channel.</summary>
    internal static double Distance(byte[] pngA, byte[] pngB)
    {
        using var a = Image.Load<Rgb24>(pngA);
        using var b = Image.Load<Rgb24>(pngB);
        double sum = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
            {
                var (p, q) = (a[x, y], b[x, y]);
                sum += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
            }
        return sum / (3.0 * a.Width * a.Height);
    }
}
