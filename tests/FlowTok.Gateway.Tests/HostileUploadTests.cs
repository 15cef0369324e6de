using System.Diagnostics;
using FlowTok.Contracts.Images;
using FlowTok.Gateway.Uploads;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Gateway.Tests;

/// <summary>
/// Uploads made to hurt a decoder are refused with a 4xx in well under a second, or, where the harm is only in metadata
/// the platform drops unread, accepted as their pixels. Times are asserted loosely (a shared machine); the bench
/// (bench/upload-attacks) measures seconds and memory.
/// </summary>
public sealed class HostileUploadTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static UploadCheck Timed(byte[] upload)
    {
        long started = Stopwatch.GetTimestamp();
        var check = UploadValidator.Check(upload);
        var took = Stopwatch.GetElapsedTime(started);
        Assert.True(took < Generous, $"the check took {took.TotalSeconds:0.0} s");
        return check;
    }

    [Fact]
    public void ZlibOfZerosInflatesToExactlyItsLength()
    {
        const long length = 40L << 20 | 12345;
        using var inflated = new System.IO.Compression.ZLibStream(new MemoryStream(HostileImages.ZlibOfZeros(length)), System.IO.Compression.CompressionMode.Decompress);
        var buffer = new byte[1 << 20];
        long total = 0;
        for (int n; (n = inflated.Read(buffer)) > 0; total += n)
            Assert.True(buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(length, total);
    }

    [Fact]
    public void ATextChunkThatInflatesToGigabytesIsRefused()
    {
        byte[] bomb = HostileImages.ZtxtBomb(HostileImages.Gigabyte);
        Assert.InRange(bomb.Length, 256 * 1024, 2 * 1024 * 1024);
        var check = Timed(bomb);
        Assert.Equal(400, check.Status);
        Assert.Contains("metadata (zTXt)", check.Error);
    }

    [Fact]
    public void AnIccProfileThatInflatesToGigabytesIsRefused()
    {
        var check = Timed(HostileImages.IccpBomb(HostileImages.Gigabyte));
        Assert.Equal(400, check.Status);
        Assert.Contains("iCCP", check.Error);
    }

    [Fact]
    public void AnExifChunkOfOverlappingEntriesIsRefused()
    {
        var check = Timed(HostileImages.ExifBomb());
        Assert.Equal(400, check.Status);
        Assert.Contains("eXIf", check.Error);
    }

    [Fact]
    public void MetadataUnderTheLimitIsDroppedWithoutBeingInflated()
    {
        // 200 MB of text in 200 KB: under the metadata limit, so the image is accepted, and the text never inflated.
        byte[] upload = HostileImages.Gradient(16, 16, ("zTXt", [.. "Comment"u8, 0, 0, .. HostileImages.ZlibOfZeros(200L << 20)]), ("tEXt", [.. "Title"u8, 0, .. "hi"u8]));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var check = Timed(upload);
        Assert.True(check.IsValid, check.Error);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20, "the check allocated as if it inflated the text");
        Assert.Null(CanonicalImage.Problem(check.Bytes));
    }

    [Fact]
    public void APixelBombIsRefusedFromItsHeader()
    {
        byte[] bomb = HostileImages.PixelBomb(20_000);
        Assert.True(bomb.Length < 2 * 1024 * 1024);
        var check = Timed(bomb);
        Assert.Equal(413, check.Status);
        Assert.Contains("20000x20000", check.Error);
    }

    [Theory]
    [InlineData("jpeg", 60_000, 60_000)]
    [InlineData("gif", 65_535, 65_535)]
    [InlineData("gif", 5_000, 1_000)]
    public void OtherFormatsClaimingHugeDimensionsAreRefused(string format, int width, int height)
    {
        var check = Timed(format == "jpeg" ? HostileImages.JpegHeaderClaiming(width, height) : HostileImages.GifScreenClaiming(width, height));
        Assert.Equal(413, check.Status);
    }

    [Fact]
    public void TheLargestAcceptedPngIsShrunkToTheCanonicalSize()
    {
        // 4096 x 3072 black: 48 MB of RGBA for Skia's PNG decoder, the most one upload may take.
        byte[] upload = HostileImages.PngOf(4096, 3072, HostileImages.ZlibOfZeros((3L * 4096 + 1) * 3072));
        var check = Timed(upload);
        Assert.True(check.IsValid, check.Error);
        Assert.Equal((4096, 3072), (check.Width, check.Height));
        using var canonical = Image.Load<Rgb24>(check.Bytes!);
        Assert.Equal((683, 512), (canonical.Width, canonical.Height));
        Assert.Equal(new Rgb24(0, 0, 0), canonical[100, 200]);
    }

    [Fact]
    public void APngWhoseDecodeWouldTakeTooMuchMemoryIsRefusedFromItsHeader()
    {
        // Within the side and pixel limits, but 64 MB of RGBA to decode.
        var check = Timed(HostileImages.PngOf(4096, 4096, HostileImages.ZlibOfZeros((3L * 4096 + 1) * 4096)));
        Assert.Equal(413, check.Status);
        Assert.Contains("64 MB", check.Error);
    }

    [Theory]
    [InlineData(4096, 4096, 512, 512)] // 64 MB of RGBA at full size; libjpeg-turbo decodes it at 1/8 straight away
    [InlineData(1500, 1000, 768, 512)] // decoded at 5/8 (938 x 625), then averaged down
    public void ALargeJpegIsDecodedScaledDown(int width, int height, int canonicalWidth, int canonicalHeight)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 40, 40));
        using var jpeg = new MemoryStream();
        image.SaveAsJpeg(jpeg);
        var check = Timed(jpeg.ToArray());
        Assert.True(check.IsValid, check.Error);
        Assert.Equal((width, height), (check.Width, check.Height));
        using var canonical = Image.Load<Rgb24>(check.Bytes!);
        Assert.Equal((canonicalWidth, canonicalHeight), (canonical.Width, canonical.Height));
        Assert.InRange(canonical[300, 300].R, 190, 210);
    }

    [Fact]
    public void AWideImageKeepsItsAspectWhenShrunk()
    {
        var check = Timed(HostileImages.Png(1500, 1000, (x, _) => x < 750 ? ((byte)200, (byte)10, (byte)10) : ((byte)10, (byte)10, (byte)200)));
        Assert.True(check.IsValid, check.Error);
        using var canonical = Image.Load<Rgb24>(check.Bytes!);
        Assert.Equal((768, 512), (canonical.Width, canonical.Height));
        Assert.Equal(new Rgb24(200, 10, 10), canonical[10, 10]);
        Assert.Equal(new Rgb24(10, 10, 200), canonical[700, 500]);
    }

    [Fact]
    public void TruncatedImageDataIsRefused()
    {
        byte[] png = HostileImages.Gradient(64, 64);
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        var check = Timed(png[..(idat + 40)]);
        Assert.Equal(400, check.Status);
        Assert.Contains("truncated", check.Error);
    }

    [Fact]
    public void CorruptCompressedImageDataIsRefused()
    {
        var check = Timed(HostileImages.CorruptImageData());
        Assert.Equal(400, check.Status);
    }

    [Fact]
    public void AChunkFailingItsCrcIsRefused()
    {
        byte[] png = HostileImages.Gradient(8, 8, ("tEXt", [.. "Title"u8, 0, .. "hi"u8]));
        png[png.AsSpan().IndexOf("tEXt"u8) + 6] ^= 1;
        var check = Timed(png);
        Assert.Equal(400, check.Status);
        Assert.Contains("CRC", check.Error);
    }

    [Fact]
    public void AJpegFullOfExifIsAcceptedAsItsPixelsAlone()
    {
        using var image = new Image<Rgb24>(32, 32, new Rgb24(30, 160, 90));
        using var jpeg = new MemoryStream();
        image.SaveAsJpeg(jpeg);
        byte[] bomb = HostileImages.JpegWithExifBomb(jpeg.ToArray(), segments: 100);
        Assert.True(bomb.Length > 6 * 1024 * 1024);
        var check = Timed(bomb);
        Assert.True(check.IsValid, check.Error);
        Assert.True(check.Bytes!.Length < 4096);
        using var canonical = Image.Load<Rgb24>(check.Bytes);
        Assert.InRange(canonical[16, 16].G, 150, 170);
    }

    [Fact]
    public void ATruncatedJpegIsRefused()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(30, 160, 90));
        using var jpeg = new MemoryStream();
        image.SaveAsJpeg(jpeg);
        var check = Timed(jpeg.ToArray()[..(int)(jpeg.Length * 2 / 3)]);
        Assert.Equal(400, check.Status);
    }
}
