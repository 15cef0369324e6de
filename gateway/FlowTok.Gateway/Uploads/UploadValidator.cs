using FlowTok.Contracts;
using FlowTok.Contracts.Images;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// An accepted upload, as the canonical PNG the platform made of it (<see cref="CanonicalImage"/>) with the upload's own
/// format and dimensions, or why it was refused (400 or 413).
/// </summary>
public sealed record UploadCheck(byte[]? Bytes, string? ContentType, int Width, int Height, int Status, string? Error)
{
    public bool IsValid => Error is null;
    /// <summary>The format the client sent (the stored bytes are always the canonical PNG).</summary>
    public UploadFormat? SourceFormat { get; init; }

    public static UploadCheck Refused(int status, string error) => new(null, null, 0, 0, status, error);
}

/// <summary>
/// Checks an upload before anything reaches a model, and decodes a client's bytes once, here: size; a byte-level scan
/// that reads the dimensions from the header (pixel bombs, and decodes that would take more than
/// <see cref="Limits.MaxUploadDecodeBytes"/>, are refused before any pixel is decoded) and strips metadata
/// (<see cref="UploadScan"/>); a bounded decode with Skia (<see cref="UntrustedImageDecoder"/>); and the canonical PNG of
/// the decoded pixels, which is what is stored and what a model silo decodes. ImageSharp never sees a client's bytes.
/// </summary>
public static class UploadValidator
{
    public const string SupportedFormats = UploadScan.SupportedFormats;
    private const string NotSupported = "not a supported image";

    public static UploadCheck CheckBase64(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64)) return UploadCheck.Refused(400, "image is required (base64)");
        ReadOnlySpan<char> text = base64.AsSpan().Trim();
        // Accept data URLs ("data:image/png;base64,....") as browsers produce them.
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && text.IndexOf(',') is int comma and > 0) text = text[(comma + 1)..];
        if (text.Length > (Limits.MaxUploadBytes + 2L) / 3 * 4 + 8)
            return TooLarge();
        byte[] buffer = new byte[text.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(text, buffer, out int written))
            return UploadCheck.Refused(400, "image is not valid base64");
        return Check(buffer.AsSpan(0, written).ToArray());
    }

    public static UploadCheck Check(byte[] bytes)
    {
        if (bytes.Length == 0) return UploadCheck.Refused(400, "image is empty");
        if (bytes.Length > Limits.MaxUploadBytes) return TooLarge();
        try
        {
            var upload = UploadScan.Scan(bytes);
            var pixels = UntrustedImageDecoder.Decode(upload);
            byte[] png = pixels.ToPng();
            if (CanonicalImage.Problem(png) is { } problem)
                throw new InvalidOperationException($"the canonical PNG made of an upload is not canonical: {problem}");
            return new UploadCheck(png, CanonicalImage.ContentType, upload.Width, upload.Height, 200, null) { SourceFormat = upload.Format };
        }
        catch (UploadRefusedException e)
        {
            return UploadCheck.Refused(e.Status, e.Status == 400 && !e.Message.StartsWith(NotSupported, StringComparison.Ordinal)
                ? $"{NotSupported}: {e.Message}" : e.Message);
        }
    }

    private static UploadCheck TooLarge() =>
        UploadCheck.Refused(413, $"image is larger than {Limits.MaxUploadBytes:N0} bytes");
}
