using System.Diagnostics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// Decodes a scanned upload with Skia (libpng, libjpeg-turbo, libwebp, Skia's GIF and BMP decoders) straight into
/// <see cref="CanonicalPixels"/>: a row at a time where the format allows, so a 16-megapixel upload costs one row of
/// RGBA plus the canonical image, not the whole picture. The decoder must agree with the scan about the dimensions,
/// every row must decode (a truncated or corrupt file is refused, not padded), and decoding stops once it has taken
/// <see cref="TimeLimit"/>. Alpha is dropped, as the model sees RGB.
/// </summary>
public static class UntrustedImageDecoder
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(1.5);

    public static CanonicalPixels Decode(ScannedUpload upload)
    {
        long started = Stopwatch.GetTimestamp();
        using var data = SKData.CreateCopy(upload.Bytes);
        using var codec = SKCodec.Create(data)
            ?? throw UploadRefusedException.Invalid($"the {upload.Format} could not be decoded");
        if (codec.Info.Width != upload.Width || codec.Info.Height != upload.Height)
            throw UploadRefusedException.Invalid(
                $"the {upload.Format} is inconsistent ({upload.Width}x{upload.Height} in its header, {codec.Info.Width}x{codec.Info.Height} to the decoder)");

        var info = new SKImageInfo(upload.Width, upload.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new CanonicalPixels(upload.Width, upload.Height);
        if (!upload.DecodedWhole && codec.StartScanlineDecode(info) == SKCodecResult.Success)
        {
            var row = new byte[info.RowBytes];
            var pin = GCHandle.Alloc(row, GCHandleType.Pinned);
            try
            {
                for (int line = 0; line < upload.Height; line++)
                {
                    if (codec.GetScanlines(pin.AddrOfPinnedObject(), 1, info.RowBytes) != 1)
                        throw UploadRefusedException.Invalid($"the {upload.Format} is truncated or corrupt (row {line} of {upload.Height} did not decode)");
                    pixels.AddRow(codec.GetOutputScanline(line), row);
                    if ((line & 63) == 0) CheckTime(started, upload);
                }
            }
            finally
            {
                pin.Free();
            }
            return pixels;
        }

        var whole = new byte[(long)info.RowBytes * upload.Height];
        var wholePin = GCHandle.Alloc(whole, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, wholePin.AddrOfPinnedObject());
            if (result != SKCodecResult.Success)
                throw UploadRefusedException.Invalid($"the {upload.Format} is truncated or corrupt ({result})");
        }
        finally
        {
            wholePin.Free();
        }
        CheckTime(started, upload);
        for (int y = 0; y < upload.Height; y++) pixels.AddRow(y, whole.AsSpan(y * info.RowBytes, info.RowBytes));
        return pixels;
    }

    private static void CheckTime(long started, ScannedUpload upload)
    {
        if (Stopwatch.GetElapsedTime(started) > TimeLimit)
            throw UploadRefusedException.Invalid($"the {upload.Format} took longer than {TimeLimit.TotalSeconds:0.#} s to decode");
    }
}
