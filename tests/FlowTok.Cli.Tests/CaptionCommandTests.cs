using FlowTok.Cli.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Cli.Tests;

public sealed class CaptionCommandTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task PrintsPathTabCaptionPerImage()
    {
        using var temp = new TempDirectory();
        // Not square and not the model's size: the command resizes and crops.
        var wide = WriteImage(temp.File("wide.png"), 96, 48);
        var tall = WriteImage(temp.File("tall.jpg"), 30, 70);

        var result = await FlowtokCli.RunAsync("caption", wide, tall, "--model", fixture.ImageToText, "--steps", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.StdoutLines.Length);
        Assert.StartsWith(wide + "\t", result.StdoutLines[0]);
        Assert.StartsWith(tall + "\t", result.StdoutLines[1]);
        Assert.All(result.StdoutLines, l => Assert.Equal(1, l.Count(c => c == '\t')));
    }

    [Fact]
    public async Task ModelWithoutImageToTextIsOneClearError()
    {
        using var temp = new TempDirectory();
        var image = WriteImage(temp.File("a.png"), 16, 16);

        var result = await FlowtokCli.RunAsync("caption", image, "--model", fixture.TextToImage);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no image-to-text components", result.SingleError());
    }

    [Fact]
    public async Task UnreadableImageIsOneClearErrorNamingTheFile()
    {
        using var temp = new TempDirectory();
        var notAnImage = temp.File("notes.png");
        File.WriteAllText(notAnImage, "this is text");

        var result = await FlowtokCli.RunAsync("caption", notAnImage, "--model", fixture.ImageToText);

        Assert.Equal(1, result.ExitCode);
        var error = result.SingleError();
        Assert.Contains(notAnImage, error);
        Assert.Contains("not a supported image", error);
    }

    private static string WriteImage(string path, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
        image.Save(path);
        return path;
    }
}
