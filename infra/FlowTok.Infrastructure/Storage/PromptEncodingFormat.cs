using FlowTok.Storage;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// Compact binary form of a <see cref="PromptEncodingRecord"/>: a format byte, then each array as an int32 length and
/// its raw little-endian elements (ids, CLIP states shape, CLIP states, latent shape, mu, logvar). Floats round-trip
/// bit for bit.
/// </summary>
public static class PromptEncodingFormat
{
    const byte Version = 1;

    public static byte[] Serialize(PromptEncodingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Validate(record);
        var size = 1
            + Size(record.Ids) + Size(record.ClipStatesShape) + Size(record.ClipStates)
            + Size(record.LatentShape) + Size(record.Mu) + Size(record.LogVar);
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Version;
        span = span[1..];
        Write<long>(ref span, record.Ids);
        Write<int>(ref span, record.ClipStatesShape);
        Write<float>(ref span, record.ClipStates);
        Write<int>(ref span, record.LatentShape);
        Write<float>(ref span, record.Mu);
        Write<float>(ref span, record.LogVar);
        return bytes;
    }

    /// <summary>The record, or null when the bytes are not a well-formed encoding of this format version.</summary>
    public static PromptEncodingRecord? TryDeserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 || bytes[0] != Version)
        {
            return null;
        }
        var span = bytes[1..];
        if (!TryRead(ref span, out long[] ids)
            || !TryRead(ref span, out int[] clipStatesShape)
            || !TryRead(ref span, out float[] clipStates)
            || !TryRead(ref span, out int[] latentShape)
            || !TryRead(ref span, out float[] mu)
            || !TryRead(ref span, out float[] logVar)
            || !span.IsEmpty)
        {
            return null;
        }
        var record = new PromptEncodingRecord(ids, clipStates, clipStatesShape, mu, logVar, latentShape);
        return IsConsistent(record) ? record : null;
    }

    /// <summary>Throws unless the arrays are present and each matches its shape.</summary>
    public static void Validate(PromptEncodingRecord record)
    {
        if (!IsConsistent(record))
        {
            throw new ArgumentException(
                "Prompt encoding arrays do not match their shapes (CLIP states vs ClipStatesShape, mu and logvar vs LatentShape).",
                nameof(record));
        }
    }

    static bool IsConsistent(PromptEncodingRecord r) =>
        r.Ids is not null && r.ClipStates is not null && r.ClipStatesShape is not null
        && r.Mu is not null && r.LogVar is not null && r.LatentShape is not null
        && Elements(r.ClipStatesShape) == r.ClipStates.Length
        && Elements(r.LatentShape) == r.Mu.Length
        && r.Mu.Length == r.LogVar.Length;

    static long Elements(int[] shape)
    {
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                return -1;
            }
            count *= dimension;
        }
        return count;
    }

    static int Size<T>(T[] values) where T : unmanaged => sizeof(int) + values.Length * Unsafe.SizeOf<T>();

    static void Write<T>(ref Span<byte> span, T[] values) where T : unmanaged
    {
        BinaryPrimitives.WriteInt32LittleEndian(span, values.Length);
        span = span[sizeof(int)..];
        var raw = MemoryMarshal.AsBytes(values.AsSpan());
        raw.CopyTo(span);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEndianness<T>(span[..raw.Length]);
        }
        span = span[raw.Length..];
    }

    static bool TryRead<T>(ref ReadOnlySpan<byte> span, out T[] values) where T : unmanaged
    {
        values = [];
        if (span.Length < sizeof(int))
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(span);
        span = span[sizeof(int)..];
        var elementSize = Unsafe.SizeOf<T>();
        if (length < 0 || (long)length * elementSize > span.Length)
        {
            return false;
        }
        values = new T[length];
        var raw = MemoryMarshal.AsBytes(values.AsSpan());
        span[..raw.Length].CopyTo(raw);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEndianness<T>(raw);
        }
        span = span[raw.Length..];
        return true;
    }

    static void ReverseEndianness<T>(Span<byte> raw) where T : unmanaged
    {
        var elementSize = Unsafe.SizeOf<T>();
        for (var i = 0; i < raw.Length; i += elementSize)
        {
            raw.Slice(i, elementSize).Reverse();
        }
    }
}
