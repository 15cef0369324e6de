using FlowTok.Model.Loading;
using FlowTok.Model.Training.Evaluation;
using Xunit.Abstractions;

namespace FlowTok.Model.Tests.Training;

/// <summary>
/// The model bundled under models/default keeps meeting a floor on a small fixed sample of the test split
/// (shape-colour combinations never seen in training), so a regression fails CI. The floors sit about 10-20 points below
/// what the current bundled model measures on this sample with its model_index.json defaults (text noise 0: t2i shape 75.0%,
/// colour, size, position and background 100%; i2t shape 90.6%, colour, size, position and background 100%; tokens alone: shape 87.5%,
/// colour, size, position and background 100%). Text-to-image shape sits closest to issue 3's target (80.5% on 200 test prompts,
/// 81.0% on 600), so its floor is the loosest: 32 prompts put it anywhere from about 65 to 95%.
/// </summary>
[Collection(nameof(Pipelines.SoakCollection))]
public sealed class BundledModelTests(ITestOutputHelper output)
{
    private const int Prompts = 32;

    private static string BundledModel
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlowTok.Platform.sln")))
                    return Path.Combine(dir.FullName, "models", "default");
            throw new InvalidOperationException("repository root not found");
        }
    }

    [Fact]
    public void BundledModelMeetsTheFloorOnUnseenCombinations()
    {
        var report = ShapesEvaluation.Run(BundledModel, Prompts);
        output.WriteLine(report.ToMarkdown());

        Assert.True(report.TextToImage.Color >= 0.90, $"text-to-image colour {report.TextToImage.Color:P1}");
        Assert.True(report.TextToImage.Shape >= 0.60, $"text-to-image shape {report.TextToImage.Shape:P1}");
        Assert.True(report.TextToImage.Size >= 0.90, $"text-to-image size {report.TextToImage.Size:P1}");
        Assert.True(report.TextToImage.Position >= 0.90, $"text-to-image position {report.TextToImage.Position:P1}");
        Assert.True(report.TextToImage.Background >= 0.90, $"text-to-image background {report.TextToImage.Background:P1}");
        Assert.True(report.ImageToText.Shape >= 0.75, $"image-to-text shape {report.ImageToText.Shape:P1}");
        Assert.True(report.ImageToText.Color >= 0.90, $"image-to-text colour {report.ImageToText.Color:P1}");
        Assert.True(report.ImageToText.Size >= 0.90, $"image-to-text size {report.ImageToText.Size:P1}");
        Assert.True(report.ImageToText.Position >= 0.90, $"image-to-text position {report.ImageToText.Position:P1}");
        Assert.True(report.ImageToText.Background >= 0.90, $"image-to-text background {report.ImageToText.Background:P1}");
        Assert.True(report.ReconstructionPsnr >= 27.7, $"reconstruction PSNR {report.ReconstructionPsnr:F2} dB");
        // What the tokens alone carry (decoded with the empty caption): all image-to-text can see.
        Assert.True(report.TokensOnly.Shape >= 0.80, $"tokens-only shape {report.TokensOnly.Shape:P1}");
        Assert.True(report.TokensOnly.Color >= 0.90, $"tokens-only colour {report.TokensOnly.Color:P1}");
        Assert.True(report.TokensOnly.Position >= 0.90, $"tokens-only position {report.TokensOnly.Position:P1}");
        Assert.True(report.TokensOnly.Background >= 0.90, $"tokens-only background {report.TokensOnly.Background:P1}");
    }

    [Fact]
    public void BundledModelIsSmallAndLoadsLikePublishedCheckpoints()
    {
        var directory = ModelDirectory.Open(BundledModel);
        long bytes = Directory.GetFiles(BundledModel, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        output.WriteLine($"{BundledModel}: {bytes / 1048576.0:F1} MB");
        Assert.True(bytes <= 25L * 1024 * 1024, $"bundled model is {bytes / 1048576.0:F1} MB");
        Assert.True(directory.Index.HasImageToText);
        var size = directory.Config<FlowTok.Model.ImageTokenizer.ImageTokenizerConfig>(ModelIndex.Roles.ImageTokenizer).ImageSize;
        using var pipeline = directory.LoadTextToImage();
        using var image = pipeline.Generate(["a small red circle at the top left on a blue background"], [1], new FlowTok.Model.Pipelines.GenerationOptions());
        Assert.Equal(new long[] { 1, 3, size, size }, image.shape);
    }
}
