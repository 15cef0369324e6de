using FlowTok.Model.Pipelines;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Model.Tests.Pipelines;

public sealed class ImageIoTests
{
    [Fact]
    public void NonImageBytesGiveAClearError()
    {
        var error = Assert.Throws<InvalidImageException>(() => ImageIo.Load("definitely not a PNG"u8, 64));
        Assert.Contains("not a supported image", error.Message);
        Assert.Throws<InvalidImageException>(() => ImageIo.Load([], 64));
    }

    [Fact]
    public void OversizedImagesAreRefusedFromTheHeader()
    {
        var wide = Png(9000, 2);
        var error = Assert.Throws<InvalidImageException>(() => ImageIo.Load(wide, 64));
        Assert.Contains("9000x2", error.Message);

        // Decompression-bomb guard: the pixel budget is checked before decoding.
        var bomb = Png(300, 300);
        Assert.Throws<InvalidImageException>(() => ImageIo.Load(bomb, 64, maxPixels: 10_000));
    }

    [Fact]
    public void NonSquareImagesAreResizedAndCentreCropped()
    {
        using var image = new Image<Rgb24>(200, 100, new Rgb24(0, 0, 255));
        for (int x = 0; x < 40; x++)
            for (int y = 0; y < 100; y++)
                image[x, y] = new Rgb24(255, 0, 0); // a red band on the left is cropped away
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        using var tensor = ImageIo.Load(stream.ToArray(), 32);
        Assert.Equal(new long[] { 3, 32, 32 }, tensor.shape);
        Assert.True(tensor[0].max().item<float>() < 0.05f, "the left band must be cropped");
        Assert.True(tensor[2].min().item<float>() > 0.95f);
    }

    private static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
