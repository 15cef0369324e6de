using FlowTok.Model.Training.Shapes;
using TorchSharp;
using Xunit.Abstractions;

namespace FlowTok.Model.Tests.Training.Shapes;

public sealed class AnalyticCheckerTests(ITestOutputHelper output)
{
    private const int Images = 1000;
    private static readonly ShapesDataset Dataset = new();

    [Fact]
    public void ReadsCleanTestImagesCorrectlyOnEveryAttribute()
    {
        var accuracy = new AttributeAccuracy();
        var failures = new List<string>();
        foreach (var (scene, i) in Dataset.Split(DatasetSplit.Test, Images).Select((s, i) => (s, i)))
        {
            var reading = AnalyticChecker.Read(Dataset.RenderSample(DatasetSplit.Test, i), Dataset.ImageSize);
            var score = AnalyticChecker.Score(scene, reading);
            accuracy.Add(score);
            if (!score.All) failures.Add($"{scene} -> {reading}");
        }
        output.WriteLine($"clean: {accuracy}");
        failures.Take(10).ToList().ForEach(output.WriteLine);
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
            Assert.True(accuracy[attribute] >= 0.99, $"{attribute}: {accuracy[attribute]:P1} < 99% ({accuracy})");
    }

    [Fact]
    public void StaysAccurateOnBlurredNoisyImages()
    {
        var accuracy = new AttributeAccuracy();
        var failures = new List<string>();
        for (int i = 0; i < Images; i++)
        {
            var scene = Dataset.Sample(DatasetSplit.Test, i);
            var planar = ImageDegradation.Planar(ShapeRenderer.Render(scene));
            var reading = AnalyticChecker.Read(ImageDegradation.BlurAndNoise(planar, ShapeRenderer.DefaultSize, sigma: 0.05, seed: i), 64, 64);
            var score = AnalyticChecker.Score(scene, reading);
            accuracy.Add(score);
            if (!score.All) failures.Add($"{scene} -> {reading}");
        }
        output.WriteLine($"blur + noise sigma 0.05: {accuracy}");
        failures.Take(10).ToList().ForEach(output.WriteLine);
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
            Assert.True(accuracy[attribute] >= 0.95, $"{attribute}: {accuracy[attribute]:P1} < 95% ({accuracy})");
    }

    [Fact]
    public void ReadsEveryShapeColourAndPlaceUnjittered()
    {
        // The canonical pictures (variation 0) of every shape, colour, size and position, on a contrasting background.
        foreach (var shape in Enum.GetValues<Shape>())
            foreach (var color in Enum.GetValues<PaletteColor>())
                foreach (var size in Enum.GetValues<ShapeSize>())
                    foreach (var position in Enum.GetValues<ShapePosition>())
                    {
                        var scene = new ShapeScene(shape, color, size, position, color == PaletteColor.Black ? PaletteColor.White : PaletteColor.Black);
                        var reading = AnalyticChecker.Read(ShapeRenderer.Render(scene), ShapeRenderer.DefaultSize);
                        Assert.True(AnalyticChecker.Score(scene, reading).All, $"{scene} read as {reading}");
                    }
    }

    [Fact]
    public void ReadsLargerRenderingsToo()
    {
        var accuracy = new AttributeAccuracy();
        foreach (var scene in Dataset.Split(DatasetSplit.Validation, 100))
            accuracy.Add(AnalyticChecker.Score(scene, AnalyticChecker.Read(ShapeRenderer.Render(scene, 128), 128)));
        output.WriteLine($"128 px: {accuracy}");
        Assert.Equal(1.0, accuracy.ExactMatch);
    }

    [Fact]
    public void TensorsBatchesAndBytesReadAlike()
    {
        using var batch = Dataset.Batch(DatasetSplit.Test, 0, 8);
        var fromBatch = AnalyticChecker.ReadBatch(batch.Images);
        for (int i = 0; i < batch.Count; i++)
        {
            using var image = batch.Images[i];
            var fromTensor = AnalyticChecker.Read(image);
            var fromBytes = AnalyticChecker.Read(ShapeRenderer.Render(batch.Scenes[i]), 64);
            Assert.Equal(fromBytes.Attributes, fromTensor.Attributes);
            Assert.Equal(fromBytes.Attributes, fromBatch[i].Attributes);
            Assert.Equal(batch.Scenes[i].Attributes, fromTensor.Attributes);
            Assert.True(fromTensor.Readable);
            Assert.InRange(fromTensor.Confidence, 0.05, 1);
        }
    }

    [Fact]
    public void FlatImageIsUnreadableButItsBackgroundIsRead()
    {
        using var blank = torch.ones(3, 64, 64) * torch.tensor(new[] { 30f / 255, 70f / 255, 220f / 255 }).view(3, 1, 1);
        var reading = AnalyticChecker.Read(blank);
        Assert.False(reading.Readable);
        Assert.Equal(0, reading.Confidence);
        Assert.Equal(PaletteColor.Blue, reading.Attributes.Background);
        Assert.Null(reading.Attributes.Shape);
        Assert.False(AnalyticChecker.Score(new ShapeScene(Shape.Circle, PaletteColor.Red, ShapeSize.Small, ShapePosition.Center, PaletteColor.Blue), reading).Shape);
    }

    [Fact]
    public void ScoresEachAttributeSeparately()
    {
        var expected = new ShapeScene(Shape.Star, PaletteColor.Purple, ShapeSize.Large, ShapePosition.TopRight, PaletteColor.Yellow);
        var score = AnalyticChecker.Score(expected, new SceneAttributes(Shape.Cross, PaletteColor.Purple, null, ShapePosition.TopRight, PaletteColor.Yellow));
        Assert.Equal(new AttributeScore(Shape: false, Color: true, Size: false, Position: true, Background: true), score);
        Assert.False(score.All);

        var accuracy = new AttributeAccuracy();
        accuracy.Add(score);
        accuracy.Add(AnalyticChecker.Score(expected, expected.Attributes));
        Assert.Equal(2, accuracy.Count);
        Assert.Equal(0.5, accuracy[SceneAttribute.Shape]);
        Assert.Equal(1.0, accuracy[SceneAttribute.Color]);
        Assert.Equal(0.5, accuracy.ExactMatch);
        Assert.Equal(0.5, accuracy.Worst);
    }
}
