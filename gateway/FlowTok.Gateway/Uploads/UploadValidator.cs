using FlowTok.Contracts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Gateway.Uploads;

/// <summary>An accepted upload (the bytes to store and their content type) or why it was refused (400 or 413).</summary>
public sealed record UploadCheck(byte[]? Bytes, string? ContentType, int Width, int Height, int Status, string? Error)
{
    public bool IsValid => Error is null;

    public static UploadCheck Refused(int status, string error) => new(null, null, 0, 0, status, error);
}

/// <summary>
/// Checks an upload before anything reaches a model: size, then the header (dimensions, so decompression bombs are refused
/// before any pixel is decoded), then a full decode with a restricted decoder set and an allocation limit.
/// </summary>
public static class UploadValidator
{
    public const string SupportedFormats = "PNG, JPEG, GIF, BMP, WebP";

    /// <summary>Decoders the gateway accepts: single-frame decoding only (a GIF's first frame), one allocation at most 256 MB.</summary>
    private static readonly Configuration Decoding = CreateConfiguration();

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

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(Decoding, bytes, out format);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return NotAnImage();
        }
        if (info is null || format is null) return NotAnImage();
        if (info.Width <= 0 || info.Height <= 0) return UploadCheck.Refused(400, $"image has no pixels ({info.Width}x{info.Height})");
        if (info.Width > Limits.MaxUploadSide || info.Height > Limits.MaxUploadSide || (long)info.Width * info.Height > Limits.MaxUploadPixels)
            return UploadCheck.Refused(413,
                $"image is {info.Width}x{info.Height} pixels; at most {Limits.MaxUploadSide} per side and {Limits.MaxUploadPixels:N0} pixels in all are accepted");
        if (format is WebpFormat && IsAnimatedWebp(bytes))
            return UploadCheck.Refused(400, "animated WebP images are not supported");

        try
        {
            using var image = Image.Load<Rgb24>(Decoding, bytes);
            if (format is GifFormat)
            {
                // Store the first frame only: model silos decode every frame of what they are given.
                using var png = new MemoryStream();
                image.SaveAsPng(png);
                return new UploadCheck(png.ToArray(), PngFormat.Instance.DefaultMimeType, image.Width, image.Height, 200, null);
            }
            return new UploadCheck(bytes, format.DefaultMimeType, image.Width, image.Height, 200, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return UploadCheck.Refused(400, $"not a supported image: it could not be decoded ({e.Message})");
        }
    }

    private static UploadCheck TooLarge() =>
        UploadCheck.Refused(413, $"image is larger than {Limits.MaxUploadBytes:N0} bytes");

    private static UploadCheck NotAnImage() =>
        UploadCheck.Refused(400, $"not a supported image (accepted: {SupportedFormats})");

    /// <summary>RIFF....WEBPVP8X with the animation flag (bit 1 of the first VP8X byte).</summary>
    private static bool IsAnimatedWebp(byte[] bytes) =>
        bytes.Length > 20 && bytes.AsSpan(12, 4).SequenceEqual("VP8X"u8) && (bytes[20] & 0x02) != 0;

    private static Configuration CreateConfiguration()
    {
        var configuration = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule(),
            new BmpConfigurationModule(), new WebpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 256, MaximumPoolSizeMegabytes = 64 }),
            MaxDegreeOfParallelism = 1,
        };
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }
}
