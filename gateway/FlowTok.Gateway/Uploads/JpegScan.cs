using System.Buffers.Binary;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// Walks a JPEG's marker segments up to the first scan and rebuilds the file without its metadata: APP1..APP13 and APP15
/// (EXIF, XMP, ICC profiles, MPF, Photoshop) and comments are dropped unread; APP0 (JFIF) and APP14 (Adobe: how the
/// colour channels are coded) stay. Only the common codings are accepted (baseline, extended and progressive Huffman,
/// 8-bit), and a progressive file may have at most <see cref="MaxScans"/> scans (each scan is a pass over the image).
/// The decoder scales by eighths as it decodes, so a large photo is decoded no larger than the canonical image needs.
/// </summary>
public static class JpegScan
{
    public const int MaxScans = 100;

    public static ScannedUpload Scan(byte[] file)
    {
        using var kept = new MemoryStream(file.Length);
        kept.Write([0xFF, 0xD8]);
        int at = 2;
        (int Width, int Height, long DecoderBytes, int Eighths)? frame = null;
        while (true)
        {
            while (at < file.Length && file[at] == 0xFF && at + 1 < file.Length && file[at + 1] == 0xFF) at++; // fill bytes
            if (at + 4 > file.Length) throw UploadScan.Truncated("JPEG");
            if (file[at] != 0xFF) throw UploadRefusedException.Invalid($"the JPEG is corrupt (no marker at byte {at})");
            byte marker = file[at + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at + 2));
            if (length < 2 || at + 2 + length > file.Length) throw UploadScan.Truncated("JPEG");
            var segment = file.AsSpan(at, 2 + length);
            at += 2 + length;
            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2: // start of frame: baseline, extended, progressive (Huffman)
                    if (frame is not null || length < 8) throw UploadRefusedException.Invalid("the JPEG has a second or short frame header");
                    if (segment[4] != 8) throw UploadRefusedException.Invalid($"{segment[4]}-bit JPEG is not supported");
                    int height = BinaryPrimitives.ReadUInt16BigEndian(segment[5..]), width = BinaryPrimitives.ReadUInt16BigEndian(segment[7..]);
                    int eighths = DecodeEighths(width, height);
                    long decoderBytes = ScannedUpload.Rgba((width * eighths + 7) / 8, (height * eighths + 7) / 8)
                        + (marker == 0xC2 ? 2L * segment[9] * width * height : 0); // progressive: 16-bit coefficients of every component
                    frame = (width, height, decoderBytes, eighths);
                    UploadScan.CheckDimensions(UploadFormat.Jpeg, width, height, decoderBytes);
                    break;
                case >= 0xC3 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC: // lossless, hierarchical, arithmetic coding
                    throw UploadRefusedException.Invalid($"this JPEG coding (SOF{marker - 0xC0}) is not supported");
                case 0xDA: // start of the first scan: the rest of the file is image data
                    if (frame is not { } f) throw UploadRefusedException.Invalid("the JPEG has no frame header before its image data");
                    int scans = 1 + CountScans(file.AsSpan(at));
                    if (scans > MaxScans) throw UploadRefusedException.Invalid($"the JPEG has {scans} scans; at most {MaxScans} are accepted");
                    kept.Write(segment);
                    kept.Write(file.AsSpan(at));
                    return new ScannedUpload(UploadFormat.Jpeg, f.Width, f.Height, kept.ToArray(), f.DecoderBytes, f.Eighths);
                case (>= 0xE1 and <= 0xED) or 0xEF or 0xFE: // metadata and comments
                    continue;
                case 0xD8 or 0xD9 or (>= 0xD0 and <= 0xD7) or 0x01:
                    throw UploadRefusedException.Invalid($"the JPEG is corrupt (marker {marker:X2} before its image data)");
            }
            kept.Write(segment);
        }
    }

    /// <summary>The smallest decode of n/8 the full size whose shorter side still covers the canonical image's.</summary>
    private static int DecodeEighths(int width, int height) =>
        Math.Clamp((8 * Contracts.Images.CanonicalImage.MaxShortSide + Math.Max(1, Math.Min(width, height)) - 1) / Math.Max(1, Math.Min(width, height)), 1, 8);

    /// <summary>Start-of-scan markers in the image data (there, a 0xFF byte is always followed by 0x00 or a marker).</summary>
    private static int CountScans(ReadOnlySpan<byte> data)
    {
        int scans = 0;
        for (int i = data.IndexOf((byte)0xFF); i >= 0 && i + 1 < data.Length; )
        {
            if (data[i + 1] == 0xDA) scans++;
            int next = data[(i + 1)..].IndexOf((byte)0xFF);
            if (next < 0) break;
            i += 1 + next;
        }
        return scans;
    }
}
