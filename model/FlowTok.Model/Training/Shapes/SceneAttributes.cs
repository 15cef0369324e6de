namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// Attributes as read back from a caption or from pixels. Each is null when it could not be read, so that one wrong or
/// garbled word costs only its own attribute when scoring.
/// </summary>
public sealed record SceneAttributes(
    Shape? Shape = null,
    PaletteColor? Color = null,
    ShapeSize? Size = null,
    ShapePosition? Position = null,
    PaletteColor? Background = null)
{
    public static SceneAttributes None { get; } = new();

    /// <summary>True when all five attributes were read.</summary>
    public bool IsComplete => Shape is not null && Color is not null && Size is not null && Position is not null && Background is not null;

    /// <summary>The scene these attributes describe (canonical, variation 0), or null unless all five were read.</summary>
    public ShapeScene? ToScene() => IsComplete
        ? new ShapeScene(Shape!.Value, Color!.Value, Size!.Value, Position!.Value, Background!.Value)
        : null;
}
