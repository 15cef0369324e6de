namespace FlowTok.Model.Training.Shapes;

/// <summary>Shape accuracy per expected shape, and per size: which shapes a direction gets wrong, not only how many.</summary>
public sealed class ShapeTally
{
    private static readonly int Sizes = Enum.GetValues<ShapeSize>().Length;
    private readonly int[,] seen = new int[Enum.GetValues<Shape>().Length, Sizes];
    private readonly int[,] right = new int[Enum.GetValues<Shape>().Length, Sizes];

    public void Add(Shape expected, ShapeSize size, bool correct)
    {
        seen[(int)expected, (int)size]++;
        if (correct) right[(int)expected, (int)size]++;
    }

    /// <summary>Scenes per expected shape (shapes never seen are absent).</summary>
    public IReadOnlyDictionary<Shape, int> Counts => Seen().ToDictionary(s => s, s => Total(seen, s));

    /// <summary>Fraction read as the right shape, per expected shape (shapes never seen are absent).</summary>
    public IReadOnlyDictionary<Shape, double> Accuracy => Seen().ToDictionary(s => s, s => (double)Total(right, s) / Total(seen, s));

    /// <summary>The scenes of one size only.</summary>
    public ShapeTally Of(ShapeSize size)
    {
        var part = new ShapeTally();
        foreach (var shape in Enum.GetValues<Shape>())
        {
            part.seen[(int)shape, (int)size] = seen[(int)shape, (int)size];
            part.right[(int)shape, (int)size] = right[(int)shape, (int)size];
        }
        return part;
    }

    private IEnumerable<Shape> Seen() => Enum.GetValues<Shape>().Where(s => Total(seen, s) > 0);

    private static int Total(int[,] counts, Shape shape) => Enumerable.Range(0, Sizes).Sum(z => counts[(int)shape, z]);
}
