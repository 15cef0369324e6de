using System.Buffers.Binary;
using FlowTok.Contracts.Images;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// Rebuilds an uploaded PNG from the chunks that define its pixels (IHDR, PLTE, tRNS, IDAT, IEND) after checking each one
/// (bounds, CRC, order, header fields). Every other chunk (tEXt, zTXt, iTXt, iCCP, eXIf, APNG frames, anything unknown
/// but ancillary) is dropped unread; a file that carries more than <see cref="MaxMetadataBytes"/> of them is refused,
/// since no honest image needs that and a compressed text or ICC chunk of that size is how an inflation bomb looks.
/// </summary>
public static class PngScan
{
    public const int MaxMetadataBytes = 256 * 1024;

    public static ScannedUpload Scan(byte[] file)
    {
        var chunks = new PngChunks(file);
        if (!chunks.TryRead(out var header, out string? error) || !header.Is("IHDR"u8) || header.Data.Length != 13)
            throw UploadRefusedException.Invalid(error ?? "the PNG does not start with its header (IHDR)");
        var ihdr = header.Data;
        uint width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        byte bitDepth = ihdr[8], colourType = ihdr[9];
        if (!ValidDepth(colourType, bitDepth) || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1)
            throw UploadRefusedException.Invalid($"the PNG header is invalid (colour type {colourType}, bit depth {bitDepth})");
        // Skia decodes to RGBA; for an interlaced image libpng also keeps every pass's rows in the file's own pixel format.
        int channels = colourType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        long decoderBytes = ScannedUpload.Rgba(width, height) + (ihdr[12] == 1 ? (width * channels * bitDepth + 7) / 8 * height : 0);
        UploadScan.CheckDimensions(UploadFormat.Png, width, height, decoderBytes);

        using var kept = new MemoryStream(file.Length);
        kept.Write(PngChunks.Signature);
        kept.Write(header.Whole);
        long metadata = 0;
        var dropped = new SortedSet<string>(StringComparer.Ordinal);
        bool palette = false, transparency = false, ended = false;
        int dataChunks = 0, lastData = -1, index = 0;
        while (chunks.TryRead(out var chunk, out error))
        {
            index++;
            if (chunk.Is("IDAT"u8))
            {
                if (dataChunks > 0 && lastData != index - 1) throw UploadRefusedException.Invalid("the PNG's image data (IDAT) is not in one run");
                (dataChunks, lastData) = (dataChunks + 1, index);
            }
            else if (chunk.Is("PLTE"u8))
            {
                if (palette || dataChunks > 0 || chunk.Data.Length == 0 || chunk.Data.Length % 3 != 0 || chunk.Data.Length > 768)
                    throw UploadRefusedException.Invalid("the PNG's palette (PLTE) is invalid or out of place");
                palette = true;
            }
            else if (chunk.Is("tRNS"u8) && !transparency && dataChunks == 0 && chunk.Data.Length <= 256)
            {
                transparency = true; // kept: it says which pixels are transparent (at most 256 bytes)
            }
            else if (chunk.Is("IEND"u8))
            {
                ended = true;
            }
            else if (chunk.IsCritical)
            {
                throw UploadRefusedException.Invalid($"the PNG has an unknown or repeated critical chunk ({chunk.Name})");
            }
            else
            {
                metadata += chunk.Data.Length;
                dropped.Add(chunk.Name);
                if (metadata > MaxMetadataBytes)
                    throw UploadRefusedException.Invalid(
                        $"the PNG carries more than {MaxMetadataBytes:N0} bytes of metadata ({string.Join(", ", dropped)}); at most {MaxMetadataBytes:N0} are accepted");
                continue;
            }
            kept.Write(chunk.Whole);
            if (ended) break;
        }
        if (error is not null) throw UploadRefusedException.Invalid(error);
        if (dataChunks == 0) throw UploadRefusedException.Invalid("the PNG has no image data (IDAT)");
        if (!ended) throw UploadScan.Truncated("PNG");
        if (colourType == 3 && !palette) throw UploadRefusedException.Invalid("the PNG uses a palette but has none (PLTE)");
        return new ScannedUpload(UploadFormat.Png, (int)width, (int)height, kept.ToArray(), decoderBytes);
    }

    /// <summary>The colour type and bit depth pairs the PNG specification allows.</summary>
    private static bool ValidDepth(byte colourType, byte bitDepth) => colourType switch
    {
        0 => bitDepth is 1 or 2 or 4 or 8 or 16,
        3 => bitDepth is 1 or 2 or 4 or 8,
        2 or 4 or 6 => bitDepth is 8 or 16,
        _ => false,
    };
}
