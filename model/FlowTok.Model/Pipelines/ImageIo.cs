using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Pipelines;

/// <summary>Raised for input that is not a usable image: not decodable, or beyond the configured limits.</summary>
public sealed class InvalidImageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Converts between image files and the model's [3, H, W] tensors in [0, 1].</summary>
public static class ImageIo
{
    /// <summary>Largest accepted width or height, checked from the header before any pixel is decoded.</summary>
    public const int DefaultMaxSide = 8192;
    /// <summary>Largest accepted pixel count (decompression-bomb guard), checked from the header.</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>[3, H, W] float in [0, 1] -> PNG bytes (values rounded to 8 bits).</summary>
    public static byte[] ToPng(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"expected an image tensor [3, H, W], got [{string.Join(", ", image.shape)}]");
        int h = (int)image.shape[1], w = (int)image.shape[2];
        byte[] rgb;
        using (var scope = torch.NewDisposeScope())
        {
            var bytes = (image.to(ScalarType.Float32).cpu().clamp(0.0, 1.0) * 255.0).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
            rgb = bytes.data<byte>().ToArray();
        }
        using var img = Image.LoadPixelData<Rgb24>(rgb, w, h);
        using var stream = new MemoryStream();
        img.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Rgb });
        return stream.ToArray();
    }

    /// <summary>[B, 3, H, W] -> one PNG per image.</summary>
    public static byte[][] ToPngs(Tensor images) =>
        Enumerable.Range(0, (int)images.shape[0]).Select(i =>
        {
            using var one = images[i];
            return ToPng(one);
        }).ToArray();

    /// <summary>
    /// Image file bytes -> [3, size, size] float in [0, 1]: shorter side resized to <paramref name="size"/> (bicubic),
    /// then centre-cropped, like the reference's preprocessing. Dimensions are checked from the header first.
    /// </summary>
    public static Tensor Load(ReadOnlySpan<byte> file, int size, int maxSide = DefaultMaxSide, long maxPixels = DefaultMaxPixels)
    {
        using var image = Decode(file, maxSide, maxPixels);
        image.Mutate(x => x.Resize(new ResizeOptions
        {
            Size = new SixLabors.ImageSharp.Size(size, size),
            Mode = ResizeMode.Crop,
            Position = AnchorPositionMode.Center,
            Sampler = KnownResamplers.Bicubic,
        }));
        var rgb = new Rgb24[size * size];
        image.CopyPixelDataTo(rgb);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(rgb.AsSpan()).ToArray();
        using var scope = torch.NewDisposeScope();
        return (torch.tensor(bytes, [size, size, 3]).permute(2, 0, 1).to(ScalarType.Float32) / 255.0).MoveToOuterDisposeScope();
    }

    public static Tensor LoadFile(string path, int size)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        return Load(File.ReadAllBytes(path), size);
    }

    /// <summary>Decodes to RGB after checking format and header dimensions; clear errors for anything else.</summary>
    public static Image<Rgb24> Decode(ReadOnlySpan<byte> file, int maxSide = DefaultMaxSide, long maxPixels = DefaultMaxPixels)
    {
        if (file.Length == 0) throw new InvalidImageException("the image is empty");
        IImageInfo? info;
        try
        {
            info = Image.Identify(file.ToArray());
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new InvalidImageException($"not a supported image ({e.Message})", e);
        }
        if (info is null) throw new InvalidImageException("not a supported image (PNG, JPEG, GIF, BMP, TGA, TIFF, WebP, PBM)");
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidImageException($"image has no pixels ({info.Width}x{info.Height})");
        if (info.Width > maxSide || info.Height > maxSide || (long)info.Width * info.Height > maxPixels)
            throw new InvalidImageException($"image is {info.Width}x{info.Height}; at most {maxSide} px a side and {maxPixels:N0} pixels are accepted");
        try
        {
            return Image.Load<Rgb24>(file.ToArray());
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            throw new InvalidImageException($"the image could not be decoded ({e.Message})", e);
        }
    }
}
