using System.Buffers.Binary;

namespace FlowTok.Contracts.Images;

/// <summary>
/// The only image a model silo decodes: the PNG the gateway makes itself from an upload's decoded pixels. 8-bit RGB, not
/// interlaced, the chunks IHDR, IDAT..., IEND and nothing else (no text, ICC or EXIF for a decoder to inflate), the
/// shorter side at most <see cref="MaxShortSide"/>. A client's own bytes are decoded once, in the gateway; a silo
/// refuses anything that is not of this form before a decoder sees it.
/// </summary>
public static class CanonicalImage
{
    public const string ContentType = "image/png";
    /// <summary>Uploads are shrunk (aspect kept) until the shorter side is at most this: the largest FlowTok image tokenizer
    /// (FlowTiTok_512) takes 512 px, and a model crops the centre square of the shorter side anyway.</summary>
    public const int MaxShortSide = 512;
    public const int MaxLongSide = Limits.MaxUploadSide;

    /// <summary>Null when <paramref name="png"/> is a canonical image, else why not (nothing is inflated to find out).</summary>
    public static string? Problem(ReadOnlySpan<byte> png)
    {
        if (!PngChunks.HasSignature(png)) return "not a PNG";
        var chunks = new PngChunks(png);
        if (!chunks.TryRead(out var header, out string? error) || !header.Is("IHDR"u8) || header.Data.Length != 13)
            return error ?? "the first chunk is not a PNG header";
        var ihdr = header.Data;
        uint width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        if (width == 0 || height == 0 || Math.Min(width, height) > MaxShortSide || Math.Max(width, height) > MaxLongSide)
            return $"{width}x{height} is outside the canonical size (shorter side 1..{MaxShortSide}, longer side at most {MaxLongSide})";
        if (ihdr[8] != 8 || ihdr[9] != 2 || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0)
            return "not 8-bit RGB without interlacing";

        bool sawData = false;
        while (chunks.TryRead(out var chunk, out error))
        {
            if (chunk.Is("IDAT"u8))
            {
                sawData = true;
                continue;
            }
            if (!chunk.Is("IEND"u8)) return $"a {chunk.Name} chunk (only IHDR, IDAT and IEND are canonical)";
            if (!sawData) return "no image data";
            return chunks.Position == png.Length ? null : "bytes after the end of the image";
        }
        return error ?? "no end of image (truncated)";
    }
}
