namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// What the analytic checker read from an image. <see cref="Readable"/> is false when no foreground shape was found (a
/// flat or empty image): then only the background is filled in. <see cref="Confidence"/> is the smallest decision margin
/// over the attributes, in [0, 1] (0 = a coin toss between two answers).
/// </summary>
public sealed record CheckerReading(SceneAttributes Attributes, bool Readable, double Confidence, ShapeMeasurements? Measurements)
{
    public override string ToString()
    {
        var a = Attributes;
        return Readable
            ? $"{a.Size} {a.Color} {a.Shape} at {a.Position} on {a.Background} (confidence {Confidence:0.00})"
            : $"unreadable (background {a.Background?.ToString() ?? "?"})";
    }
}
