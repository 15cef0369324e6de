using System.Buffers.Binary;
using System.Text;
using FlowTok.Contracts;
using FlowTok.Contracts.Images;
using FlowTok.Gateway.Uploads;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Gateway.Tests;

public class UploadValidatorTests
{
    private static byte[] Encode(int width, int height, Action<Image<Rgb24>, MemoryStream> save)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 4), (byte)(y * 4), 128);
        using var stream = new MemoryStream();
        save(image, stream);
        return stream.ToArray();
    }

    private static byte[] Png(int width = 64, int height = 48) => Encode(width, height, (i, s) => i.SaveAsPng(s));

    /// <summary>The canonical PNG's pixels (ImageSharp is fine here: the test made the bytes).</summary>
    private static Rgb24[] PixelsOf(byte[] png, out int width, out int height)
    {
        using var image = Image.Load<Rgb24>(png);
        (width, height) = (image.Width, image.Height);
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static UploadCheck Accepted(byte[] upload)
    {
        var check = UploadValidator.Check(upload);
        Assert.True(check.IsValid, check.Error);
        Assert.Equal("image/png", check.ContentType);
        Assert.Null(CanonicalImage.Problem(check.Bytes));
        return check;
    }

    [Fact]
    public void ValidPngIsStoredAsTheCanonicalPngOfItsPixels()
    {
        byte[] png = Encode(64, 48, (i, s) => i.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.RgbWithAlpha }));
        var check = Accepted(png);
        Assert.Equal((64, 48), (check.Width, check.Height));
        Assert.Equal(UploadFormat.Png, check.SourceFormat);
        Assert.NotEqual(png, check.Bytes);
        Assert.Equal(PixelsOf(png, out _, out _), PixelsOf(check.Bytes!, out _, out _));
    }

    [Fact]
    public void ValidJpegIsAcceptedAndStoredAsPng()
    {
        var check = Accepted(Encode(32, 32, (i, s) => i.SaveAsJpeg(s)));
        Assert.Equal(UploadFormat.Jpeg, check.SourceFormat);
        PixelsOf(check.Bytes!, out int width, out int height);
        Assert.Equal((32, 32), (width, height));
    }

    public static TheoryData<string> OtherEncodings => ["webp", "bmp", "interlaced png", "palette png", "16-bit png", "grey png"];

    [Theory]
    [MemberData(nameof(OtherEncodings))]
    public void OtherSupportedEncodingsDecodeToTheSamePixels(string encoding)
    {
        byte[] upload = Encode(40, 24, (image, stream) =>
        {
            switch (encoding)
            {
                case "webp": image.SaveAsWebp(stream, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }); break;
                case "bmp": image.SaveAsBmp(stream); break;
                case "interlaced png": image.SaveAsPng(stream, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }); break;
                case "palette png": image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Palette }); break;
                case "16-bit png": image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 }); break;
                case "grey png": image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.Grayscale }); break;
            }
        });
        var check = Accepted(upload);
        var expected = PixelsOf(upload, out _, out _);
        var actual = PixelsOf(check.Bytes!, out int width, out int height);
        Assert.Equal((40, 24), (width, height));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].R - actual[i].R) <= 1 && Math.Abs(expected[i].G - actual[i].G) <= 1 && Math.Abs(expected[i].B - actual[i].B) <= 1,
                $"{encoding}: pixel {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    [Fact]
    public void GifIsStoredAsItsFirstFrameInPng()
    {
        var check = UploadValidator.Check(Encode(16, 16, (i, s) => i.SaveAsGif(s)));
        Assert.True(check.IsValid, check.Error);
        Assert.Equal("image/png", check.ContentType);
        Assert.Equal(16, Image.Identify(check.Bytes!).Width);
    }

    [Fact]
    public void GarbageBytesAreNotAnImage()
    {
        var check = UploadValidator.Check(Encoding.ASCII.GetBytes("this is certainly not an image, just some text bytes"));
        Assert.Equal(400, check.Status);
        Assert.Contains("not a supported image", check.Error);
    }

    [Fact]
    public void EmptyUploadIsRejected() => Assert.Equal(400, UploadValidator.Check([]).Status);

    [Fact]
    public void UploadOverTheByteLimitIsTooLarge()
    {
        var check = UploadValidator.Check(new byte[Limits.MaxUploadBytes + 1]);
        Assert.Equal(413, check.Status);
    }

    [Fact]
    public void HugeDimensionsInTheHeaderAreRejectedBeforeDecoding()
    {
        // A 100000x100000 RGB PNG would need 30 GB decoded; the file itself is a few dozen bytes.
        byte[] bomb = PngWithHeader(100_000, 100_000);
        Assert.True(bomb.Length < 100);
        var check = UploadValidator.Check(bomb);
        Assert.Equal(413, check.Status);
        Assert.Contains("100000x100000", check.Error);
        Assert.Contains($"at most {Limits.MaxUploadSide}", check.Error);
    }

    [Fact]
    public void SidesWithinTheLimitButTooManyPixelsAreRejected()
    {
        // 4096 x 4097 would pass a per-side check for the smaller side only.
        var check = UploadValidator.Check(PngWithHeader(Limits.MaxUploadSide, Limits.MaxUploadSide + 1));
        Assert.Equal(413, check.Status);
    }

    [Fact]
    public void HeaderOnlyPngWithPlausibleSizeFailsTheFullDecode()
    {
        // Passes Identify (valid IHDR), but there is no pixel data: caught by the decode, not passed on to a model.
        var check = UploadValidator.Check(PngWithHeader(64, 64));
        Assert.Equal(400, check.Status);
        Assert.Contains("not a supported image", check.Error);
    }

    [Fact]
    public void TruncatedPngIsRejected()
    {
        byte[] png = Png(64, 64);
        var check = UploadValidator.Check(png[..(png.Length / 2)]);
        Assert.Equal(400, check.Status);
    }

    [Fact]
    public void ValidBase64IsDecodedAndChecked()
    {
        byte[] png = Png();
        Assert.True(UploadValidator.CheckBase64(Convert.ToBase64String(png)).IsValid);
        Assert.True(UploadValidator.CheckBase64("data:image/png;base64," + Convert.ToBase64String(png)).IsValid);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("AAA")]
    [InlineData("iVBORw0KGgo=====")]
    public void InvalidBase64IsRejected(string text)
    {
        var check = UploadValidator.CheckBase64(text);
        Assert.Equal(400, check.Status);
        Assert.Contains("base64", check.Error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void MissingBase64IsRejected(string? text) => Assert.Equal(400, UploadValidator.CheckBase64(text).Status);

    [Fact]
    public void OversizedBase64IsRejectedWithoutDecoding()
    {
        string text = new('A', (Limits.MaxUploadBytes / 3 + 10) * 4);
        Assert.Equal(413, UploadValidator.CheckBase64(text).Status);
    }

    /// <summary>PNG signature, an IHDR claiming width x height (8-bit RGB) with a correct CRC, and IEND. No pixel data.</summary>
    private static byte[] PngWithHeader(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        png.Write(word);
    }

    /// <summary>CRC-32 (ISO 3309, as PNG uses) over the chunk type and data.</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
