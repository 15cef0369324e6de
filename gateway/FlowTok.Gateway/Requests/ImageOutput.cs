using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Gateway.Requests;

public enum OutputFormat
{
    Png,
    Jpeg,
    Webp,
}

/// <summary>
/// The encoding a client asked for (OpenAI's <c>output_format</c> and <c>output_compression</c>). Models store PNG; the
/// gateway re-encodes that PNG, which the platform made itself (ImageSharp is never given client bytes), into JPEG or WebP.
/// <paramref name="Compression"/> is OpenAI's 0..100 where 100 (the default) keeps the most detail: the encoder's quality.
/// </summary>
public sealed record ImageOutput(OutputFormat Format, int Compression)
{
    public const int DefaultCompression = 100;

    public static readonly ImageOutput Png = new(OutputFormat.Png, DefaultCompression);

    public string ContentType => Format switch
    {
        OutputFormat.Jpeg => "image/jpeg",
        OutputFormat.Webp => "image/webp",
        _ => "image/png",
    };

    /// <summary>The model's PNG as this output: PNG unchanged, otherwise decoded and encoded again.</summary>
    public byte[] Encode(byte[] png)
    {
        if (Format == OutputFormat.Png) return png;
        using var image = Image.Load<Rgb24>(png);
        using var encoded = new MemoryStream();
        image.Save(encoded, Encoder());
        return encoded.ToArray();
    }

    private IImageEncoder Encoder()
    {
        int quality = Math.Clamp(Compression, 1, 100); // JPEG's quality scale starts at 1
        return Format == OutputFormat.Jpeg
            ? new JpegEncoder { Quality = quality }
            : new WebpEncoder { Quality = quality, FileFormat = WebpFileFormatType.Lossy };
    }
}
