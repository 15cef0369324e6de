using FlowTok.Model.Training.Shapes;
using TorchSharp;

namespace FlowTok.Model.Tests.Training.Shapes;

public sealed class ShapesDatasetTests
{
    private static readonly ShapesDataset Dataset = new();

    [Fact]
    public void TestSplitHoldsOnlyHeldOutCombinationsAndTrainingNone()
    {
        var test = Dataset.Split(DatasetSplit.Test, 5000).ToArray();
        Assert.All(test, s => Assert.True(ShapesDataset.IsHeldOut(s.Shape, s.Color), $"{s} is not held out"));
        Assert.Equal(ShapesDataset.HeldOutPairs.ToHashSet(), test.Select(s => (s.Shape, s.Color)).ToHashSet());

        foreach (var split in new[] { DatasetSplit.Train, DatasetSplit.Validation })
        {
            var seen = Dataset.Split(split, 5000).ToArray();
            Assert.All(seen, s => Assert.False(ShapesDataset.IsHeldOut(s.Shape, s.Color), $"{split} sample {s} is held out"));
            Assert.Equal(ShapesDataset.SeenPairs.ToHashSet(), seen.Select(s => (s.Shape, s.Color)).ToHashSet());
        }
    }

    [Fact]
    public void HeldOutPairsGiveEveryShapeOneUnseenColourAndNoColourTwice()
    {
        Assert.Equal(Enum.GetValues<Shape>().Order(), ShapesDataset.HeldOutPairs.Select(p => p.Shape).Order());
        Assert.Equal(ShapesDataset.HeldOutPairs.Count, ShapesDataset.HeldOutPairs.Select(p => p.Color).Distinct().Count());
        Assert.Equal(5 * 8 - 5, ShapesDataset.SeenPairs.Count);
        // Every colour is still seen in training on some shape, so the test asks for new combinations, not new words.
        Assert.Equal(Enum.GetValues<PaletteColor>().Order(), ShapesDataset.SeenPairs.Select(p => p.Color).Distinct().Order());
    }

    [Fact]
    public void EveryAttributeValueOccursAndBackgroundsDifferFromShapes()
    {
        var train = Dataset.Split(DatasetSplit.Train, 3000).ToArray();
        Assert.All(train, s => Assert.NotEqual(s.Color, s.Background));
        Assert.Equal(Enum.GetValues<ShapeSize>().Length, train.Select(s => s.Size).Distinct().Count());
        Assert.Equal(Enum.GetValues<ShapePosition>().Length, train.Select(s => s.Position).Distinct().Count());
        Assert.Equal(Enum.GetValues<PaletteColor>().Length, train.Select(s => s.Background).Distinct().Count());
        Assert.All(train, s => Assert.NotEqual(0UL, s.Variation));
    }

    [Fact]
    public void SameSeedGivesIdenticalBytesAndAnotherSeedDoesNot()
    {
        var again = new ShapesDataset(ShapesDataset.DefaultSeed);
        var other = new ShapesDataset(ShapesDataset.DefaultSeed + 1);
        foreach (var split in Enum.GetValues<DatasetSplit>())
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(Dataset.Sample(split, i), again.Sample(split, i));
                Assert.Equal(Dataset.RenderSample(split, i), again.RenderSample(split, i));
            }
        Assert.NotEqual(Dataset.Split(DatasetSplit.Train, 50), other.Split(DatasetSplit.Train, 50));
        // Indexing is random access: a sample does not depend on which were drawn before it.
        Assert.Equal(Dataset.Sample(DatasetSplit.Train, 123_456), new ShapesDataset().Sample(DatasetSplit.Train, 123_456));
    }

    [Fact]
    public void ValidationSamplesAreNotTrainingSamples()
    {
        var train = Dataset.Split(DatasetSplit.Train, 2000).ToHashSet();
        Assert.DoesNotContain(Dataset.Split(DatasetSplit.Validation, 2000), train.Contains);
    }

    [Fact]
    public void ImagesOfOneCombinationVary()
    {
        var scene = Dataset.Sample(DatasetSplit.Train, 0);
        var images = Enumerable.Range(1, 5).Select(v => ShapeRenderer.Render(scene with { Variation = (ulong)v * 7919 })).ToArray();
        Assert.Equal(images.Length, images.Select(Convert.ToBase64String).Distinct().Count());
    }

    [Fact]
    public void BatchIsTheRenderedSamplesWithTheirCaptions()
    {
        using var batch = Dataset.Batch(DatasetSplit.Validation, 40, 6);
        Assert.Equal(new long[] { 6, 3, 64, 64 }, batch.Images.shape);
        Assert.Equal(torch.ScalarType.Float32, batch.Images.dtype);
        for (int i = 0; i < 6; i++)
        {
            var scene = Dataset.Sample(DatasetSplit.Validation, 40 + i);
            Assert.Equal(scene, batch.Scenes[i]);
            Assert.Equal(ShapeCaptions.Caption(scene), batch.Captions[i]);
            using var expected = ShapeRenderer.RenderTensor(scene);
            using var actual = batch.Images[i];
            Assert.True(expected.equal(actual).all().item<bool>());
        }
        Assert.InRange(batch.Images.min().item<float>(), 0f, 1f);
        Assert.InRange(batch.Images.max().item<float>(), 0f, 1f);
    }
}
