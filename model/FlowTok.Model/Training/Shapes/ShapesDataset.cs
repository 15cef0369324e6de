namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// The procedurally generated captioned dataset. Nothing is stored: sample i of a split is regenerated from
/// (seed, split, i), so any image can be redrawn bit for bit, and splits are effectively unbounded.
/// <para>
/// The test split holds the (shape, colour) pairs in <see cref="HeldOutPairs"/>, which never occur in train or
/// validation: one colour per shape, each colour held out at most once. Everything else (size, position, background)
/// is drawn uniformly; the background is any colour but the shape's.
/// </para>
/// </summary>
public sealed class ShapesDataset(int seed = ShapesDataset.DefaultSeed, int imageSize = ShapeRenderer.DefaultSize)
{
    /// <summary>The seed of the bundled model's data (the paper's arXiv number); change it only together with the bundled checkpoint.</summary>
    public const int DefaultSeed = 10772;

    /// <summary>
    /// The unseen combinations: each shape is trained in seven of the eight colours and tested in the eighth. Held-out
    /// colours are all different (red, yellow and black are never held out), so every colour is also seen on other shapes.
    /// </summary>
    public static IReadOnlyList<(Shape Shape, PaletteColor Color)> HeldOutPairs { get; } =
    [
        (Shape.Circle, PaletteColor.Blue),
        (Shape.Square, PaletteColor.Orange),
        (Shape.Triangle, PaletteColor.White),
        (Shape.Star, PaletteColor.Purple),
        (Shape.Cross, PaletteColor.Green),
    ];

    /// <summary>The (shape, colour) pairs train and validation draw from: all pairs but the held-out ones.</summary>
    public static IReadOnlyList<(Shape Shape, PaletteColor Color)> SeenPairs { get; } =
        (from shape in Enum.GetValues<Shape>()
         from color in Enum.GetValues<PaletteColor>()
         where !HeldOutPairs.Contains((shape, color))
         select (shape, color)).ToArray();

    public static bool IsHeldOut(Shape shape, PaletteColor color) => HeldOutPairs.Contains((shape, color));

    public int Seed { get; } = seed;
    public int ImageSize { get; } = imageSize;

    /// <summary>The scene of sample <paramref name="index"/> of a split: a pure function of (seed, split, index).</summary>
    public ShapeScene Sample(DatasetSplit split, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var random = new SceneRandom(SceneRandom.Combine((ulong)Seed, (ulong)split + 1, (ulong)index));
        var pairs = split == DatasetSplit.Test ? HeldOutPairs : SeenPairs;
        var (shape, color) = pairs[random.Next(pairs.Count)];
        var size = (ShapeSize)random.Next(2);
        var position = (ShapePosition)random.Next(5);
        var background = (PaletteColor)random.Next(Palette.Colors.Count - 1);
        if (background >= color) background++; // any colour but the shape's, uniformly
        ulong variation = random.NextUInt64() | 1; // never 0: dataset images are always jittered
        return new ShapeScene(shape, color, size, position, background, variation);
    }

    /// <summary>Samples 0 .. count-1 of a split.</summary>
    public IEnumerable<ShapeScene> Split(DatasetSplit split, int count)
    {
        for (int i = 0; i < count; i++) yield return Sample(split, i);
    }

    public byte[] RenderSample(DatasetSplit split, long index) => ShapeRenderer.Render(Sample(split, index), ImageSize);

    /// <summary>Samples startIndex .. startIndex+batchSize-1, drawn as one [B, 3, H, W] tensor with their captions.</summary>
    public ShapesBatch Batch(DatasetSplit split, long startIndex, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var scenes = new ShapeScene[batchSize];
        for (int i = 0; i < batchSize; i++) scenes[i] = Sample(split, startIndex + i);
        return new ShapesBatch(ShapeRenderer.RenderBatch(scenes, ImageSize), scenes);
    }
}
