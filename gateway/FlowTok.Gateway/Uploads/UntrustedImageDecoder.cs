using System.Runtime.InteropServices;
using SkiaSharp;

namespace FlowTok.Gateway.Uploads;

/// <summary>
/// Decodes a scanned upload with Skia (libpng, libjpeg-turbo, libwebp, Skia's GIF and BMP decoders) into
/// <see cref="CanonicalPixels"/>. One decode to RGBA at the size the scan chose (a JPEG scaled down by its decoder,
/// everything else at full size; Skia's PNG decoder in this build has no row-at-a-time mode, which is why the scan
/// bounds the decoder's memory). The decoder must agree with the scan about the dimensions, and the whole image must
/// decode: a truncated or corrupt file is refused, not padded. Alpha is dropped, as the model sees RGB.
/// </summary>
public static class UntrustedImageDecoder
{
    public static CanonicalPixels Decode(ScannedUpload upload)
    {
        using var data = SKData.CreateCopy(upload.Bytes);
        using var codec = SKCodec.Create(data)
            ?? throw UploadRefusedException.Invalid($"the {upload.Format} could not be decoded");
        if (codec.Info.Width != upload.Width || codec.Info.Height != upload.Height)
            throw UploadRefusedException.Invalid(
                $"the {upload.Format} is inconsistent ({upload.Width}x{upload.Height} in its header, {codec.Info.Width}x{codec.Info.Height} to the decoder)");

        var size = upload.DecodeEighths == 8 ? codec.Info.Size : codec.GetScaledDimensions(upload.DecodeEighths / 8f);
        if ((long)size.Width * size.Height > (long)upload.DecodedWidth * upload.DecodedHeight)
            throw UploadRefusedException.Invalid($"the {upload.Format} is inconsistent (the decoder would decode it at {size.Width}x{size.Height})");
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = GC.AllocateUninitializedArray<byte>(info.BytesSize);
        var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, pin.AddrOfPinnedObject());
            if (result != SKCodecResult.Success)
                throw UploadRefusedException.Invalid($"the {upload.Format} is truncated or corrupt ({result})");
        }
        finally
        {
            pin.Free();
        }

        var pixels = new CanonicalPixels(info.Width, info.Height);
        for (int y = 0; y < info.Height; y++) pixels.AddRow(y, rgba.AsSpan(y * info.RowBytes, info.RowBytes));
        return pixels;
    }
}
