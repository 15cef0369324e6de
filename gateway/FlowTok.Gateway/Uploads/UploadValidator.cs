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

    /// <summary>A JSON body's image (decoded as the body was parsed); null = missing.</summary>
    public static UploadCheck CheckBase64(Base64Image? image) =>
        image is null ? UploadCheck.Refused(400, "image is required (base64)") : image.Refusal ?? Check(image.Bytes!);

    public static UploadCheck CheckBase64(string? base64) => CheckBase64(base64 is null ? null : Base64Image.Decode(base64));

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
