using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// Draws a scene: a flat background and one flat-coloured shape with anti-aliased edges (4x4 supersampling, only of
/// the pixels the outline crosses, which keeps a 64x64 image around 0.1-0.2 ms). Deterministic: the scene's
/// <see cref="ShapeScene.Variation"/> seeds the jitter.
/// </summary>
public static class ShapeRenderer
{
    public const int DefaultSize = 64;
    private const int Supersample = 4;

    /// <summary>RGB bytes, row-major [H, W, 3].</summary>
    public static byte[] Render(ShapeScene scene, int size = DefaultSize)
    {
        var rgb = new byte[size * size * 3];
        Render(scene, size, rgb);
        return rgb;
    }

    /// <summary>Draws into <paramref name="rgb"/> ([H, W, 3] bytes), so batches can reuse one buffer.</summary>
    public static void Render(ShapeScene scene, int size, Span<byte> rgb)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        if (rgb.Length != size * size * 3) throw new ArgumentException($"expected {size * size * 3} bytes for a {size}x{size} RGB image, got {rgb.Length}");
        var (br, bg, bb) = Palette.Rgb(scene.Background);
        var (fr, fg, fb) = Palette.Rgb(scene.Color);
        for (int i = 0; i < rgb.Length; i += 3) { rgb[i] = br; rgb[i + 1] = bg; rgb[i + 2] = bb; }

        var outline = ShapeOutline.Of(scene, size);
        var (x0, y0, x1, y1) = outline.PixelBounds(size);
        const int samples = Supersample * Supersample;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                int covered = outline.Classify(x + 0.5, y + 0.5, SampleReach) switch
                {
                    0 => 0,
                    1 => samples,
                    _ => CountCovered(outline, x, y),
                };
                if (covered == 0) continue;
                int i = (y * size + x) * 3;
                rgb[i] = Blend(br, fr, covered, samples);
                rgb[i + 1] = Blend(bg, fg, covered, samples);
                rgb[i + 2] = Blend(bb, fb, covered, samples);
            }
    }

    /// <summary>Farthest a sample lies from its pixel's centre (the corner samples at offsets ±0.375).</summary>
    private static readonly double SampleReach = (0.5 - 0.5 / Supersample) * Math.Sqrt(2) + 1e-9;

    private static int CountCovered(ShapeOutline outline, int x, int y)
    {
        int covered = 0;
        for (int sy = 0; sy < Supersample; sy++)
            for (int sx = 0; sx < Supersample; sx++)
                if (outline.Contains(x + (sx + 0.5) / Supersample, y + (sy + 0.5) / Supersample)) covered++;
        return covered;
    }

    /// <summary>[3, H, W] float in [0, 1], the model's image layout.</summary>
    public static Tensor RenderTensor(ShapeScene scene, int size = DefaultSize) => ToTensor(Render(scene, size), size);

    /// <summary>[B, 3, H, W] float in [0, 1]. Images are drawn as bytes and reordered channel-first in managed code,
    /// so libtorch only widens a contiguous byte tensor (a strided permute-copy of the floats is several times slower).</summary>
    public static Tensor RenderBatch(IReadOnlyList<ShapeScene> scenes, int size = DefaultSize)
    {
        int bytesPerImage = size * size * 3;
        var planar = new byte[scenes.Count * bytesPerImage];
        var rgb = new byte[bytesPerImage];
        for (int b = 0; b < scenes.Count; b++)
        {
            Render(scenes[b], size, rgb);
            ToChannelFirst(rgb, planar.AsSpan(b * bytesPerImage, bytesPerImage));
        }
        return ToFloats(planar, [scenes.Count, 3, size, size]);
    }

    /// <summary>RGB bytes [H, W, 3] -> [3, H, W] float in [0, 1].</summary>
    public static Tensor ToTensor(ReadOnlySpan<byte> rgb, int size)
    {
        var planar = new byte[rgb.Length];
        ToChannelFirst(rgb, planar);
        return ToFloats(planar, [3, size, size]);
    }

    private static void ToChannelFirst(ReadOnlySpan<byte> rgb, Span<byte> planar)
    {
        int plane = rgb.Length / 3;
        for (int p = 0; p < plane; p++)
        {
            planar[p] = rgb[3 * p];
            planar[plane + p] = rgb[3 * p + 1];
            planar[2 * plane + p] = rgb[3 * p + 2];
        }
    }

    private static Tensor ToFloats(byte[] planar, long[] shape)
    {
        using var bytes = torch.tensor(planar, shape);
        var floats = bytes.to(ScalarType.Float32);
        floats.div_(255f);
        return floats;
    }

    private static byte Blend(byte background, byte foreground, int covered, int samples) =>
        (byte)((background * (samples - covered) + foreground * covered + samples / 2) / samples);
}
