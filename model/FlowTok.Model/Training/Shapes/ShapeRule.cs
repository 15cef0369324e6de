namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// The checker's shape decision from the outline's radius-profile harmonics (see <see cref="ShapeMeasurements"/>).
/// Measured ranges on 3000 renders, clean and blurred + noised (sigma 0.05), both sizes:
/// <code>
///             h3            h4            h5
/// circle     &lt;= 0.014      &lt;= 0.012      &lt;= 0.013
/// square     &lt;= 0.023      0.043..0.074  &lt;= 0.016
/// triangle   0.102..0.139  &lt;= 0.019      &lt;= 0.018
/// star       &lt;= 0.030      &lt;= 0.038      0.063..0.168
/// cross      &lt;= 0.028      0.138..0.204  &lt;= 0.023
/// </code>
/// So: no strong harmonic among 3..5 is a circle; otherwise the strongest one counts the corners or arms, and among the
/// four-fold shapes the cross's deep notches make h4 about three times the square's. Harmonic 2 (elongation) is ignored,
/// so a slightly oval circle from a generator still reads as a circle. Thresholds sit at the geometric middle of the gaps.
/// </summary>
internal static class ShapeRule
{
    /// <summary>Below this strongest harmonic (3..5) the outline has no corners: a circle.</summary>
    private const double CornerlessBelow = 0.025;
    /// <summary>A four-fold outline with h4 above this is a cross, below a square.</summary>
    private const double CrossAbove = 0.1;

    public static (Shape Shape, double Margin) Classify(IReadOnlyList<double> harmonics)
    {
        double h3 = harmonics[3], h4 = harmonics[4], h5 = harmonics[5];
        double strongest = Math.Max(h3, Math.Max(h4, h5));
        double cornerMargin = RatioMargin(strongest, CornerlessBelow);
        if (strongest < CornerlessBelow) return (Shape.Circle, cornerMargin);

        double second = h3 + h4 + h5 - strongest - Math.Min(h3, Math.Min(h4, h5));
        double folds = Math.Min(cornerMargin, 1 - second / strongest);
        if (strongest == h3) return (Shape.Triangle, folds);
        if (strongest == h5) return (Shape.Star, folds);
        return (h4 > CrossAbove ? Shape.Cross : Shape.Square, Math.Min(folds, RatioMargin(h4, CrossAbove)));
    }

    /// <summary>How far a value is from a threshold, on a log scale: a factor of two away (or more) is full confidence.</summary>
    private static double RatioMargin(double value, double threshold) =>
        value <= 0 ? 1 : Math.Min(1, Math.Abs(Math.Log(value / threshold)) / Math.Log(2));
}
