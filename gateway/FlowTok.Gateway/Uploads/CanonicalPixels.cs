using FlowTok.Contracts.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// An upload's pixels at the canonical size, filled a source row at a time: when the shorter side is over
/// <see cref="CanonicalImage.MaxShortSide"/>, each canonical pixel is the mean of the source pixels it covers (aspect
/// kept), so only the canonical image is ever held. Then written as the canonical PNG (8-bit RGB, no other chunks).
/// </summary>
public sealed class CanonicalPixels
{
    private readonly int sourceWidth, sourceHeight;
    private readonly int[] columnOf; // source column -> canonical column
    private readonly int[] rowOf;    // source row -> canonical row
    private readonly int[] columnCount, rowCount;
    private readonly ushort[] sums;  // at most 9 x 9 source pixels of 255 per canonical pixel: fits 16 bits

    public CanonicalPixels(int sourceWidth, int sourceHeight)
    {
        (this.sourceWidth, this.sourceHeight) = (sourceWidth, sourceHeight);
        double scale = Math.Min(1.0, (double)CanonicalImage.MaxShortSide / Math.Min(sourceWidth, sourceHeight));
        Width = Math.Clamp((int)Math.Round(sourceWidth * scale), 1, sourceWidth);
        Height = Math.Clamp((int)Math.Round(sourceHeight * scale), 1, sourceHeight);
        (columnOf, columnCount) = Map(sourceWidth, Width);
        (rowOf, rowCount) = Map(sourceHeight, Height);
        sums = new ushort[Width * Height * 3];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Adds source row <paramref name="y"/> given as RGBA (alpha ignored).</summary>
    public void AddRow(int y, ReadOnlySpan<byte> rgba)
    {
        if ((uint)y >= (uint)sourceHeight) return;
        var target = sums.AsSpan(rowOf[y] * Width * 3, Width * 3);
        for (int x = 0; x < sourceWidth; x++)
        {
            int t = columnOf[x] * 3, s = x * 4;
            target[t] += rgba[s];
            target[t + 1] += rgba[s + 1];
            target[t + 2] += rgba[s + 2];
        }
    }

    /// <summary>The canonical PNG: 8-bit RGB, IHDR, IDAT and IEND only (ImageSharp encodes pixels the platform made).</summary>
    public byte[] ToPng()
    {
        var rgb = new byte[sums.Length];
        for (int y = 0, i = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int n = rowCount[y] * columnCount[x];
                for (int c = 0; c < 3; c++, i++) rgb[i] = (byte)((sums[i] + n / 2) / n);
            }
        using var image = Image.LoadPixelData<Rgb24>(rgb, Width, Height);
        using var png = new MemoryStream();
        image.SaveAsPng(png, new PngEncoder
        {
            ColorType = PngColorType.Rgb,
            BitDepth = PngBitDepth.Bit8,
            InterlaceMethod = PngInterlaceMode.None,
            ChunkFilter = PngChunkFilter.ExcludeAll,
            IgnoreMetadata = true,
        });
        return png.ToArray();
    }

    /// <summary>Which target cell each source index falls in, and how many source indices each cell gets.</summary>
    private static (int[] Of, int[] Count) Map(int source, int target)
    {
        var of = new int[source];
        var count = new int[target];
        for (int i = 0; i < source; i++) count[of[i] = (int)((long)i * target / source)]++;
        return (of, count);
    }
}
