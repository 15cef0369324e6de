using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.TestSupport;

/// <summary>Compares encoded images by their pixels.</summary>
public static class PngPixels
{
    /// <summary>The largest difference of any channel of any pixel (0-255); int.MaxValue when the sizes differ.</summary>
    public static int MaxDifference(byte[] imageA, byte[] imageB)
    {
        using var a = Image.Load<Rgb24>(imageA);
        using var b = Image.Load<Rgb24>(imageB);
        if ((a.Width, a.Height) != (b.Width, b.Height)) return int.MaxValue;
        int max = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
            {
                var (p, q) = (a[x, y], b[x, y]);
                max = Math.Max(max, Math.Max(Math.Abs(p.R - q.R), Math.Max(Math.Abs(p.G - q.G), Math.Abs(p.B - q.B))));
            }
        return max;
    }
}
