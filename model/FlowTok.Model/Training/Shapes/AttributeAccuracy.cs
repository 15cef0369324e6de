using System.Globalization;

namespace FlowTok.Model.Training.Shapes;

/// <summary>Accumulates scores into per-attribute accuracy and exact-match rate (for eval reports and tests).</summary>
public sealed class AttributeAccuracy
{
    private readonly int[] correct = new int[Enum.GetValues<SceneAttribute>().Length];
    private int allCorrect;

    public int Count { get; private set; }

    public void Add(AttributeScore score)
    {
        Count++;
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
            if (score[attribute]) correct[(int)attribute]++;
        if (score.All) allCorrect++;
    }

    /// <summary>Fraction of scores with this attribute right (0 before anything was added).</summary>
    public double this[SceneAttribute attribute] => Count == 0 ? 0 : (double)correct[(int)attribute] / Count;

    /// <summary>Fraction with every attribute right.</summary>
    public double ExactMatch => Count == 0 ? 0 : (double)allCorrect / Count;

    /// <summary>The lowest per-attribute accuracy.</summary>
    public double Worst => Enum.GetValues<SceneAttribute>().Min(a => this[a]);

    public IReadOnlyDictionary<SceneAttribute, double> PerAttribute =>
        Enum.GetValues<SceneAttribute>().ToDictionary(a => a, a => this[a]);

    public override string ToString() =>
        string.Join(", ", Enum.GetValues<SceneAttribute>().Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.ToString().ToLowerInvariant()} {this[a]:P1}")))
        + string.Create(CultureInfo.InvariantCulture, $", exact {ExactMatch:P1} (n={Count})");
}
