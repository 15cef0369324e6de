using System.Buffers.Binary;
using FlowTok.Contracts;

namespace FlowTok.Gateway.Uploads;

public enum UploadFormat { Png, Jpeg, Gif, Bmp, WebP }

/// <summary>
/// An upload after the byte-level scan, before any decoder saw it: its format and dimensions from the header, the bytes
/// a decoder gets (PNG and JPEG with their metadata taken out), the size to decode at (<see cref="DecodeEighths"/>/8 of
/// the full size: a JPEG decoder scales by eighths on the way, everything else is decoded at full size) and the memory
/// that decode is estimated to take.
/// </summary>
public sealed record ScannedUpload(UploadFormat Format, int Width, int Height, byte[] Bytes, long DecoderBytes, int DecodeEighths = 8)
{
    public int DecodedWidth => (int)(((long)Width * DecodeEighths + 7) / 8);
    public int DecodedHeight => (int)(((long)Height * DecodeEighths + 7) / 8);

    /// <summary>RGBA of every pixel decoded at full size: what Skia's decoders need for PNG, GIF, BMP and WebP.</summary>
    public static long Rgba(long width, long height) => 4 * width * height;
}

/// <summary>An upload refused: 400 (not a usable image) or 413 (too large).</summary>
public sealed class UploadRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static UploadRefusedException Invalid(string message) => new(400, message);
}

/// <summary>
/// The first layer against hostile uploads, hand-written and decoder-free: recognise the format by its signature, read the
/// dimensions from the header and refuse pixel bombs, and strip PNG and JPEG metadata (text, ICC profiles, EXIF, XMP), so
/// the decoder never inflates or parses any of it.
/// </summary>
public static class UploadScan
{
    public const string SupportedFormats = "PNG, JPEG, GIF, BMP, WebP";

    public static ScannedUpload Scan(byte[] bytes)
    {
        var upload = Recognise(bytes) switch
        {
            UploadFormat.Png => PngScan.Scan(bytes),
            UploadFormat.Jpeg => JpegScan.Scan(bytes),
            UploadFormat.Gif => Gif(bytes),
            UploadFormat.Bmp => Bmp(bytes),
            UploadFormat.WebP => WebP(bytes),
            _ => throw UploadRefusedException.Invalid($"not a supported image (accepted: {SupportedFormats})"),
        };
        CheckDimensions(upload.Format, upload.Width, upload.Height, upload.DecoderBytes);
        return upload;
    }

    private static UploadFormat? Recognise(ReadOnlySpan<byte> b) =>
        Contracts.Images.PngChunks.HasSignature(b) ? UploadFormat.Png
        : b.StartsWith([(byte)0xFF, (byte)0xD8, (byte)0xFF]) ? UploadFormat.Jpeg
        : b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8) ? UploadFormat.Gif
        : b.StartsWith("BM"u8) ? UploadFormat.Bmp
        : b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) ? UploadFormat.WebP
        : null;

    /// <summary>
    /// Per side, in all, and the decoder's estimated memory. Called as soon as a header is read, so a pixel bomb is refused
    /// before anything else of it is looked at.
    /// </summary>
    internal static void CheckDimensions(UploadFormat format, long width, long height, long decoderBytes)
    {
        if (width <= 0 || height <= 0) throw UploadRefusedException.Invalid($"image has no pixels ({width}x{height})");
        if (width > Limits.MaxUploadSide || height > Limits.MaxUploadSide || width * height > Limits.MaxUploadPixels)
            throw new UploadRefusedException(413,
                $"image is {width}x{height} pixels; at most {Limits.MaxUploadSide} per side and {Limits.MaxUploadPixels:N0} pixels in all are accepted");
        if (decoderBytes > Limits.MaxUploadDecodeBytes)
            throw new UploadRefusedException(413,
                $"image is {width}x{height} pixels; decoding this {format} would take about {decoderBytes >> 20} MB, and at most {Limits.MaxUploadDecodeBytes >> 20} MB is spent on one upload");
    }

    /// <summary>The logical screen and the first frame (skipping extension blocks to reach it) must both be in bounds.</summary>
    private static ScannedUpload Gif(byte[] b)
    {
        if (b.Length < 13) throw Truncated("GIF");
        int width = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(6)), height = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8));
        int at = 13 + ((b[10] & 0x80) != 0 ? 3 << ((b[10] & 7) + 1) : 0);
        while (true)
        {
            if (at >= b.Length) throw Truncated("GIF");
            switch (b[at])
            {
                case 0x21: // extension: label, then data sub-blocks up to an empty one
                    at += 2;
                    while (at < b.Length && b[at] != 0) at += b[at] + 1;
                    at++;
                    break;
                case 0x2C: // image descriptor: left, top, width, height
                    if (at + 10 > b.Length) throw Truncated("GIF");
                    int frameWidth = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at + 5));
                    int frameHeight = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at + 7));
                    (width, height) = (Math.Max(width, frameWidth), Math.Max(height, frameHeight));
                    return new ScannedUpload(UploadFormat.Gif, width, height, b, ScannedUpload.Rgba(width, height));
                default:
                    throw UploadRefusedException.Invalid("the GIF has no image");
            }
        }
    }

    private static ScannedUpload Bmp(byte[] b)
    {
        if (b.Length < 26) throw Truncated("BMP");
        int header = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(14));
        (long width, long height) = header == 12
            ? (BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(18)), BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(20)))
            : ((long)BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(18)), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(22))));
        CheckDimensions(UploadFormat.Bmp, width, height, ScannedUpload.Rgba(width, height));
        return new ScannedUpload(UploadFormat.Bmp, (int)width, (int)height, b, ScannedUpload.Rgba(width, height));
    }

    /// <summary>The first chunk says it all: VP8 (lossy), VP8L (lossless) or VP8X (extended: canvas size, animation flag).</summary>
    private static ScannedUpload WebP(byte[] b)
    {
        if (b.Length < 30) throw Truncated("WebP");
        var chunk = b.AsSpan(12, 4);
        var data = b.AsSpan(20);
        (int width, int height) = chunk switch
        {
            _ when chunk.SequenceEqual("VP8 "u8) => (BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF),
            _ when chunk.SequenceEqual("VP8L"u8) => ((int)(BinaryPrimitives.ReadUInt32LittleEndian(data[1..]) & 0x3FFF) + 1, (int)((BinaryPrimitives.ReadUInt32LittleEndian(data[1..]) >> 14) & 0x3FFF) + 1),
            _ when chunk.SequenceEqual("VP8X"u8) => (ReadUInt24(data[4..]) + 1, ReadUInt24(data[7..]) + 1),
            _ => throw UploadRefusedException.Invalid("the WebP has no image chunk first"),
        };
        if (chunk.SequenceEqual("VP8X"u8) && (data[0] & 0x02) != 0) throw UploadRefusedException.Invalid("animated WebP images are not supported");
        return new ScannedUpload(UploadFormat.WebP, width, height, b, ScannedUpload.Rgba(width, height));
    }

    private static int ReadUInt24(ReadOnlySpan<byte> b) => b[0] | b[1] << 8 | b[2] << 16;

    internal static UploadRefusedException Truncated(string format) => UploadRefusedException.Invalid($"the {format} is truncated");
}
