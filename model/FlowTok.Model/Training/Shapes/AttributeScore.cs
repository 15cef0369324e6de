namespace FlowTok.Model.Training.Shapes;

/// <summary>Which attributes of one prediction (from pixels or from a caption) match the expected scene.</summary>
public sealed record AttributeScore(bool Shape, bool Color, bool Size, bool Position, bool Background)
{
    /// <summary>Every attribute right: for a caption, the exact-caption match.</summary>
    public bool All => Shape && Color && Size && Position && Background;

    public bool this[SceneAttribute attribute] => attribute switch
    {
        SceneAttribute.Shape => Shape,
        SceneAttribute.Color => Color,
        SceneAttribute.Size => Size,
        SceneAttribute.Position => Position,
        SceneAttribute.Background => Background,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute)),
    };

    /// <summary>Compares attribute by attribute; an attribute that could not be read (null) counts as wrong.</summary>
    public static AttributeScore Of(ShapeScene expected, SceneAttributes predicted) => new(
        predicted.Shape == expected.Shape,
        predicted.Color == expected.Color,
        predicted.Size == expected.Size,
        predicted.Position == expected.Position,
        predicted.Background == expected.Background);
}
