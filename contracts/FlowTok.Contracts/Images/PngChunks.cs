using System.Buffers.Binary;

namespace FlowTok.Contracts.Images;

/// <summary>One chunk of a PNG file: its four-letter type and its data, both slices of the file.</summary>
public readonly ref struct PngChunk(ReadOnlySpan<byte> file, int offset, int length)
{
    private readonly ReadOnlySpan<byte> file = file;

    /// <summary>Where the chunk starts in the file (its length field).</summary>
    public int Offset { get; } = offset;
    public ReadOnlySpan<byte> Type => file.Slice(Offset + 4, 4);
    public ReadOnlySpan<byte> Data => file.Slice(Offset + 8, length);
    /// <summary>The whole chunk as it is in the file: length, type, data and CRC.</summary>
    public ReadOnlySpan<byte> Whole => file.Slice(Offset, length + 12);
    /// <summary>Critical chunks (IHDR, PLTE, IDAT, IEND) have an upper-case first letter; the rest is ancillary.</summary>
    public bool IsCritical => (Type[0] & 0x20) == 0;
    public string Name => System.Text.Encoding.ASCII.GetString(Type);

    public bool Is(ReadOnlySpan<byte> type) => Type.SequenceEqual(type);
}

/// <summary>
/// Walks a PNG's chunks without interpreting their data (nothing is inflated): the signature, then length, type, data
/// and CRC for each chunk, checked for bounds, a letters-only type and the CRC.
/// </summary>
public ref struct PngChunks
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly ReadOnlySpan<byte> file;
    private int position;

    public PngChunks(ReadOnlySpan<byte> file)
    {
        this.file = file;
        position = Signature.Length;
    }

    public static bool HasSignature(ReadOnlySpan<byte> file) => file.StartsWith(Signature);

    /// <summary>Where the next chunk would start; past the last chunk, the length of anything that trails it.</summary>
    public readonly int Position => position;

    /// <summary>The next chunk. False at the end of the file, or with <paramref name="error"/> set when the chunk is
    /// truncated, misnamed or fails its CRC.</summary>
    public bool TryRead(out PngChunk chunk, out string? error)
    {
        chunk = default;
        error = null;
        if (position >= file.Length) return false;
        if (file.Length - position < 12)
        {
            error = $"the PNG is truncated (a chunk header at byte {position})";
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(file[position..]);
        if (length > int.MaxValue || length > file.Length - position - 12)
        {
            error = $"the PNG is truncated (a chunk at byte {position} claims {length:N0} bytes)";
            return false;
        }
        var type = file.Slice(position + 4, 4);
        foreach (byte b in type)
        {
            if (b is (< (byte)'A' or > (byte)'Z') and (< (byte)'a' or > (byte)'z'))
            {
                error = $"the PNG is corrupt (no chunk type at byte {position})";
                return false;
            }
        }
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(file[(position + 8 + (int)length)..]);
        if (Crc32(file.Slice(position + 4, 4 + (int)length)) != stored)
        {
            error = $"the PNG is corrupt (chunk {System.Text.Encoding.ASCII.GetString(type)} at byte {position} fails its CRC)";
            return false;
        }
        chunk = new PngChunk(file, position, (int)length);
        position += 12 + (int)length;
        return true;
    }

    /// <summary>PNG's CRC-32 (ISO 3309, polynomial 0xEDB88320) over a chunk's type and data.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes) crc = CrcTable[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        return ~crc;
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();
}
