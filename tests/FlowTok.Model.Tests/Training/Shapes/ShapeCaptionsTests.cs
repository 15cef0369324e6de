using FlowTok.Model.Training.Shapes;

namespace FlowTok.Model.Tests.Training.Shapes;

public sealed class ShapeCaptionsTests
{
    private static IEnumerable<ShapeScene> EveryScene() =>
        from shape in Enum.GetValues<Shape>()
        from color in Enum.GetValues<PaletteColor>()
        from size in Enum.GetValues<ShapeSize>()
        from position in Enum.GetValues<ShapePosition>()
        from background in Enum.GetValues<PaletteColor>()
        where background != color
        select new ShapeScene(shape, color, size, position, background);

    [Fact]
    public void CaptionsReadLikeTheGrammar()
    {
        Assert.Equal("a small red circle at the top left on a blue background",
            ShapeCaptions.Caption(new ShapeScene(Shape.Circle, PaletteColor.Red, ShapeSize.Small, ShapePosition.TopLeft, PaletteColor.Blue)));
        Assert.Equal("a large green square in the center on a black background",
            ShapeCaptions.Caption(new ShapeScene(Shape.Square, PaletteColor.Green, ShapeSize.Large, ShapePosition.Center, PaletteColor.Black, Variation: 99)));
    }

    [Fact]
    public void EveryCaptionRoundTrips()
    {
        foreach (var scene in EveryScene())
            Assert.Equal(scene, ShapeCaptions.ParseCaption(ShapeCaptions.Caption(scene)));
    }

    [Fact]
    public void EveryCaptionFitsIn32Tokens()
    {
        // A word-level tokenizer gives one token per word, plus start- and end-of-text.
        int longest = EveryScene().Max(s => ShapeCaptions.Caption(s).Split(' ').Length);
        Assert.Equal(ShapeCaptions.MaxWords, longest);
        Assert.True(longest + 2 <= 32, $"{longest} words + SOT/EOT exceed 32 tokens");
        var vocabulary = ShapeCaptions.Vocabulary.ToHashSet();
        Assert.All(EveryScene().SelectMany(s => ShapeCaptions.Caption(s).Split(' ')).Distinct(), w => Assert.Contains(w, vocabulary));
        Assert.Equal(ShapeCaptions.Vocabulary.Count, vocabulary.Count);
    }

    [Fact]
    public void OneWrongWordCostsOnlyItsAttribute()
    {
        var expected = new ShapeScene(Shape.Triangle, PaletteColor.Orange, ShapeSize.Small, ShapePosition.BottomRight, PaletteColor.White);
        Assert.Equal(new SceneAttributes(null, PaletteColor.Orange, ShapeSize.Small, ShapePosition.BottomRight, PaletteColor.White),
            ShapeCaptions.Parse("a small orange blob at the bottom right on a white background"));
        Assert.Equal(new SceneAttributes(Shape.Triangle, null, ShapeSize.Small, ShapePosition.BottomRight, PaletteColor.White),
            ShapeCaptions.Parse("a small orang triangle at the bottom right on a white background"));
        Assert.Equal(new SceneAttributes(Shape.Triangle, PaletteColor.Orange, ShapeSize.Small, null, PaletteColor.White),
            ShapeCaptions.Parse("a small orange triangle at the bottom on a white background"));
        var wrongBackground = ShapeCaptions.Parse("a small orange triangle at the bottom right on a red background");
        Assert.Equal(new AttributeScore(true, true, true, true, Background: false), AnalyticChecker.Score(expected, wrongBackground));
        Assert.Null(ShapeCaptions.ParseCaption("a small orange blob at the bottom right on a white background"));
    }

    [Fact]
    public void AWordRepeatedAtOnceIsReadOnce()
    {
        var expected = new ShapeScene(Shape.Circle, PaletteColor.Red, ShapeSize.Large, ShapePosition.Center, PaletteColor.White);
        Assert.Equal(expected, ShapeCaptions.ParseCaption("a a large red circle in the center on a white background background"));
        Assert.Equal(expected, ShapeCaptions.ParseCaption("a large red red circle in the center on a white white background"));
        // Only an immediate repeat: two different colours before "background" still leave the last one read.
        Assert.Equal(PaletteColor.Black, ShapeCaptions.Parse("a large red circle in the center on a white black background").Background);
    }

    [Fact]
    public void DecoderStyleNoiseIsTolerated()
    {
        var expected = new ShapeScene(Shape.Star, PaletteColor.Yellow, ShapeSize.Large, ShapePosition.Center, PaletteColor.Purple);
        Assert.Equal(expected, ShapeCaptions.ParseCaption("A  large YELLOW star in the centre, on a purple background."));
        Assert.Equal(expected, ShapeCaptions.ParseCaption("large yellow star center on purple background"));
    }

    [Fact]
    public void MalformedTextReadsAsNothing()
    {
        Assert.Null(ShapeCaptions.ParseCaption("hello world"));
        Assert.Equal(SceneAttributes.None, ShapeCaptions.Parse(""));
        Assert.Equal(SceneAttributes.None, ShapeCaptions.Parse("!!! ???"));
        // Contradictory position words are not guessed.
        Assert.Null(ShapeCaptions.Parse("a small red circle at the top bottom left on a blue background").Position);
    }
}
