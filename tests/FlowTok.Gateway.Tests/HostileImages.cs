using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FlowTok.Gateway.Tests;

/// <summary>
/// Images made byte by byte to attack an image decoder: inflation bombs in PNG metadata, pixel bombs, EXIF amplification,
/// truncations. Shared by the gateway tests, the platform's HTTP tests and the upload-attack bench (linked source).
/// </summary>
public static class HostileImages
{
    public const long Gigabyte = 1L << 30;

    /// <summary>An 8-bit RGB PNG whose pixels are <paramref name="colour"/>(x, y), with <paramref name="extra"/> chunks
    /// (type, data) before the image data.</summary>
    public static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B)> colour, params (string Type, byte[] Data)[] extra)
    {
        var rows = new byte[(long)(width * 3 + 1) * height];
        for (int y = 0, i = 0; y < height; y++)
        {
            rows[i++] = 0; // filter: none
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = colour(x, y);
                (rows[i], rows[i + 1], rows[i + 2]) = (r, g, b);
                i += 3;
            }
        }
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(rows);
        return PngOf(width, height, z.ToArray(), extra);
    }

    /// <summary>A small gradient PNG, the kind of upload a client sends.</summary>
    public static byte[] Gradient(int width = 64, int height = 48, params (string Type, byte[] Data)[] extra) =>
        Png(width, height, (x, y) => ((byte)(x * 4), (byte)(y * 4), 128), extra);

    /// <summary>A valid 1x1 PNG plus a zTXt chunk whose text inflates to <paramref name="inflated"/> bytes of zeros
    /// (about 1 MB per GB: deflate of zeros).</summary>
    public static byte[] ZtxtBomb(long inflated = 3 * Gigabyte / 2) =>
        Gradient(1, 1, ("zTXt", [.. "Comment"u8, 0, 0, .. ZlibOfZeros(inflated)]));

    /// <summary>An iCCP (ICC colour profile) chunk that inflates to <paramref name="inflated"/> bytes.</summary>
    public static byte[] IccpBomb(long inflated = Gigabyte) =>
        Gradient(1, 1, ("iCCP", [.. "ICC profile"u8, 0, 0, .. ZlibOfZeros(inflated)]));

    /// <summary>
    /// An eXIf chunk of <paramref name="entries"/> IFD entries, each an UNDEFINED array of the whole blob at the same
    /// offset: a reader that copies every entry allocates entries x blob bytes (about 2 GB for the defaults).
    /// </summary>
    public static byte[] ExifBomb(int entries = 4000, int blobBytes = 512 * 1024) =>
        Gradient(1, 1, ("eXIf", ExifAmplification(entries, blobBytes)));

    /// <summary>A one-colour (black) PNG of <paramref name="side"/> x <paramref name="side"/>: ~1 MB of file for every
    /// 1 GB of pixels, e.g. 20000 x 20000 is 1.2 GB of RGB.</summary>
    public static byte[] PixelBomb(int side = 20_000) =>
        PngOf(side, side, ZlibOfZeros((3L * side + 1) * side));

    /// <summary>A PNG of the gradient whose image data is cut off: the header, then half of the IDAT's data.</summary>
    public static byte[] Truncated(byte[] png) => png[..(png.Length / 2)];

    /// <summary>A PNG whose compressed image data has a flipped byte, CRC recomputed so only the zlib stream is bad.</summary>
    public static byte[] CorruptImageData(int width = 64, int height = 64)
    {
        var rows = new byte[(width * 3 + 1) * height];
        Random.Shared.NextBytes(rows);
        for (int y = 0; y < height; y++) rows[y * (width * 3 + 1)] = 0;
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(rows);
        byte[] data = z.ToArray();
        data[2] ^= 0xFF; // the first deflate block header
        data[data.Length / 2] ^= 0x55;
        return PngOf(width, height, data);
    }

    /// <summary>A JPEG with <paramref name="segments"/> APP1 EXIF segments, each an IFD of entries that all point at the
    /// segment's whole payload, inserted after its start marker.</summary>
    public static byte[] JpegWithExifBomb(byte[] jpeg, int segments = 100)
    {
        var exif = ExifAmplification(entries: 4000, blobBytes: 65_000 - 6 - 8 - 2 - 4000 * 12 - 4 - 64);
        byte[] payload = [.. "Exif"u8, 0, 0, .. exif];
        using var output = new MemoryStream();
        output.Write(jpeg.AsSpan(0, 2));
        for (int i = 0; i < segments; i++)
        {
            output.Write([0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            output.Write(payload);
        }
        output.Write(jpeg.AsSpan(2));
        return output.ToArray();
    }

    /// <summary>A JPEG start and baseline frame header claiming <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static byte[] JpegHeaderClaiming(int width, int height) =>
    [
        0xFF, 0xD8,
        0xFF, 0xC0, 0, 17, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3,
        1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
        0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0,
        0, 0, 0, 0,
    ];

    /// <summary>A GIF whose logical screen is <paramref name="width"/> x <paramref name="height"/> and whose one frame is 1x1.</summary>
    public static byte[] GifScreenClaiming(int width, int height) =>
    [
        .. "GIF89a"u8, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0, 0, 0,
        0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0,
        2, 2, 0x4C, 0x01, 0, 0x3B,
    ];

    /// <summary>
    /// A zlib stream that inflates to <paramref name="length"/> zeros, built without compressing that much: one deflated,
    /// sync-flushed segment of zeros is position-independent once the window holds zeros, so it can be repeated.
    /// </summary>
    public static byte[] ZlibOfZeros(long length)
    {
        const int segment = 16 << 20;
        var zeros = new byte[segment];
        using var raw = new MemoryStream();
        using var deflate = new DeflateStream(raw, CompressionLevel.SmallestSize, leaveOpen: true);
        deflate.Write(zeros);
        deflate.Flush();
        int first = (int)raw.Length;
        deflate.Write(zeros);
        deflate.Flush();
        byte[] written = raw.ToArray();
        var firstSegment = written.AsSpan(0, first);
        var repeated = written.AsSpan(first);
        long rest = length % segment;
        byte[] tail = [];
        if (rest > 0)
        {
            deflate.Write(zeros, 0, (int)rest);
            deflate.Flush();
            tail = raw.ToArray()[written.Length..];
        }

        using var z = new MemoryStream();
        z.Write([0x78, 0xDA]);
        long segments = length / segment;
        if (segments > 0) z.Write(firstSegment);
        for (long i = 1; i < segments; i++) z.Write(repeated);
        if (segments == 0 && rest > 0) throw new ArgumentException("at least one 16 MB segment", nameof(length));
        z.Write(tail);
        z.Write([0x03, 0x00]); // an empty final block
        Span<byte> adler = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(adler, (uint)(length % 65521) << 16 | 1); // Adler-32 of zeros: a = 1, b = length
        z.Write(adler);
        return z.ToArray();
    }

    /// <summary>A PNG (8-bit RGB) with the given compressed image data.</summary>
    public static byte[] PngOf(int width, int height, byte[] zlibData, params (string Type, byte[] Data)[] extra)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9]) = (8, 2);
        WriteChunk(png, "IHDR", ihdr);
        foreach (var (type, data) in extra) WriteChunk(png, type, data);
        WriteChunk(png, "IDAT", zlibData);
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        png.Write(word);
    }

    /// <summary>TIFF header, one IFD of <paramref name="entries"/> UNDEFINED entries (distinct tags) all pointing at one blob.</summary>
    private static byte[] ExifAmplification(int entries, int blobBytes)
    {
        int ifd = 8, blob = ifd + 2 + entries * 12 + 4;
        var exif = new byte[blob + blobBytes];
        "MM\0*"u8.CopyTo(exif);
        BinaryPrimitives.WriteInt32BigEndian(exif.AsSpan(4), ifd);
        BinaryPrimitives.WriteUInt16BigEndian(exif.AsSpan(ifd), (ushort)entries);
        for (int i = 0; i < entries; i++)
        {
            var entry = exif.AsSpan(ifd + 2 + i * 12, 12);
            BinaryPrimitives.WriteUInt16BigEndian(entry, (ushort)(0x8000 + i)); // tag
            BinaryPrimitives.WriteUInt16BigEndian(entry[2..], 7);              // UNDEFINED (bytes)
            BinaryPrimitives.WriteInt32BigEndian(entry[4..], blobBytes);       // count
            BinaryPrimitives.WriteInt32BigEndian(entry[8..], blob);            // offset
        }
        return exif;
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
