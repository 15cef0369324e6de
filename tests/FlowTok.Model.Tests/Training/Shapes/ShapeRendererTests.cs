using System.Diagnostics;
using FlowTok.Model.Training.Shapes;
using Xunit.Abstractions;

namespace FlowTok.Model.Tests.Training.Shapes;

public sealed class ShapeRendererTests(ITestOutputHelper output)
{
    private static readonly ShapesDataset Dataset = new();

    [Fact]
    public void ShapesNeverTouchTheImageBorder()
    {
        // The checker reads the background off the border, and captions promise the whole shape is in its place.
        foreach (var split in Enum.GetValues<DatasetSplit>())
            foreach (var (scene, i) in Dataset.Split(split, 1000).Select((s, i) => (s, i)))
            {
                var rgb = Dataset.RenderSample(split, i);
                var (r, g, b) = Palette.Rgb(scene.Background);
                for (int p = 0; p < 64 * 64; p++)
                {
                    int x = p % 64, y = p / 64;
                    if (x is 0 or 63 || y is 0 or 63)
                        Assert.True(rgb[3 * p] == r && rgb[3 * p + 1] == g && rgb[3 * p + 2] == b, $"{scene} touches the border at ({x}, {y})");
                }
            }
    }

    [Fact]
    public void EdgesAreAntiAliasedAndTheRestIsFlat()
    {
        var scene = new ShapeScene(Shape.Circle, PaletteColor.White, ShapeSize.Large, ShapePosition.Center, PaletteColor.Black);
        var levels = ShapeRenderer.Render(scene).Where((_, i) => i % 3 == 0).Distinct().ToArray();
        Assert.Contains((byte)20, levels);
        Assert.Contains((byte)245, levels);
        Assert.True(levels.Length > 5, "edge pixels should blend the two colours");
        Assert.True(levels.Length <= 17, "4x4 supersampling gives at most 17 levels");
    }

    [Fact]
    public void UnjitteredShapeIsCentredOnItsAnchor()
    {
        foreach (var position in Enum.GetValues<ShapePosition>())
        {
            var scene = new ShapeScene(Shape.Square, PaletteColor.Red, ShapeSize.Small, position, PaletteColor.Black);
            var rgb = ShapeRenderer.Render(scene);
            double sum = 0, sx = 0, sy = 0;
            for (int p = 0; p < 64 * 64; p++)
            {
                double w = (rgb[3 * p] - 20) / 200.0; // red channel: 20 background, 220 shape
                sum += w; sx += w * (p % 64 + 0.5); sy += w * (p / 64 + 0.5);
            }
            var (ax, ay) = ShapeLayout.Anchor(position);
            Assert.Equal(ax * 64, sx / sum, 1e-6);
            Assert.Equal(ay * 64, sy / sum, 1e-6);
        }
    }

    [Fact]
    public void TensorIsTheBytesChannelFirst()
    {
        var scene = Dataset.Sample(DatasetSplit.Train, 3);
        var rgb = ShapeRenderer.Render(scene);
        using var tensor = ShapeRenderer.RenderTensor(scene);
        Assert.Equal(new long[] { 3, 64, 64 }, tensor.shape);
        using var fromBytes = ShapeRenderer.ToTensor(rgb, 64);
        Assert.True(tensor.equal(fromBytes).all().item<bool>());
        Assert.Equal(rgb[(10 * 64 + 20) * 3 + 1] / 255f, tensor[1, 10, 20].item<float>());
    }

    [Fact]
    public void RenderingIsFast()
    {
        var scenes = Dataset.Split(DatasetSplit.Train, 1000).ToArray();
        var buffer = new byte[64 * 64 * 3];
        ShapeRenderer.Render(scenes[0], 64, buffer); // warm-up (JIT, and libtorch's first call)
        ShapeRenderer.RenderBatch(scenes[..2]).Dispose();
        var clock = Stopwatch.StartNew();
        foreach (var scene in scenes) ShapeRenderer.Render(scene, 64, buffer);
        var bytes = clock.Elapsed;
        clock.Restart();
        using (var batch = ShapeRenderer.RenderBatch(scenes)) { }
        var tensors = clock.Elapsed;
        output.WriteLine($"1000 renders 64x64: {bytes.TotalMilliseconds:0} ms as bytes, {tensors.TotalMilliseconds:0} ms as a [1000,3,64,64] tensor");
        // Measured and printed; the bound only catches a pathological slowdown, never a busy machine.
        Assert.True(bytes < TimeSpan.FromSeconds(10), $"1000 renders took {bytes}");
    }
}
