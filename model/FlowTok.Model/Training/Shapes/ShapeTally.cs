namespace FlowTok.Model.Training.Shapes;

/// <summary>Shape accuracy per expected shape: which shapes a direction gets wrong, not only how many.</summary>
public sealed class ShapeTally
{
    private readonly int[] seen = new int[Enum.GetValues<Shape>().Length];
    private readonly int[] right = new int[Enum.GetValues<Shape>().Length];

    public void Add(Shape expected, bool correct)
    {
        seen[(int)expected]++;
        if (correct) right[(int)expected]++;
    }

    /// <summary>Scenes per expected shape (shapes never seen are absent).</summary>
    public IReadOnlyDictionary<Shape, int> Counts =>
        Enum.GetValues<Shape>().Where(s => seen[(int)s] > 0).ToDictionary(s => s, s => seen[(int)s]);

    /// <summary>Fraction read as the right shape, per expected shape (shapes never seen are absent).</summary>
    public IReadOnlyDictionary<Shape, double> Accuracy =>
        Enum.GetValues<Shape>().Where(s => seen[(int)s] > 0).ToDictionary(s => s, s => (double)right[(int)s] / seen[(int)s]);
}
