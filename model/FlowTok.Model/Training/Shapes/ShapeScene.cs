namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// One captioned image: what the caption says, plus <paramref name="Variation"/>, the seed of the small per-image jitter
/// (offset, scale, rotation) that the caption does not mention. Variation 0 draws the canonical, un-jittered picture.
/// </summary>
public sealed record ShapeScene(
    Shape Shape,
    PaletteColor Color,
    ShapeSize Size,
    ShapePosition Position,
    PaletteColor Background,
    ulong Variation = 0)
{
    /// <summary>The scene's attributes with every field known (what a perfect reader would return).</summary>
    public SceneAttributes Attributes => new(Shape, Color, Size, Position, Background);

    public override string ToString() => ShapeCaptions.Caption(this) + (Variation == 0 ? "" : $" (variation {Variation:x})");
}
