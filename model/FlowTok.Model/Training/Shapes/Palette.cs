namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// The RGB value of each colour word. Values are far apart (closest pair, yellow/orange, about 0.39 of the [0, 1]
/// range) so that a colour survives noise, blur and a generator's small colour drift.
/// </summary>
public static class Palette
{
    public static IReadOnlyList<PaletteColor> Colors { get; } = Enum.GetValues<PaletteColor>();

    private static readonly (byte R, byte G, byte B)[] rgb =
    [
        (220, 30, 30),   // red
        (30, 170, 50),   // green
        (30, 70, 220),   // blue
        (245, 220, 30),  // yellow
        (140, 40, 180),  // purple
        (245, 125, 0),   // orange
        (245, 245, 245), // white
        (20, 20, 20),    // black
    ];

    public static (byte R, byte G, byte B) Rgb(PaletteColor color) => rgb[(int)color];

    /// <summary>
    /// The palette colour nearest to an RGB value in [0, 1] (Euclidean), skipping <paramref name="except"/>; also how
    /// clear-cut the choice was: 1 - nearest distance / second-nearest distance (0 = a tie).
    /// </summary>
    public static (PaletteColor Color, double Margin) Nearest(double r, double g, double b, PaletteColor? except = null)
    {
        double best = double.MaxValue, second = double.MaxValue;
        var bestColor = PaletteColor.Red;
        foreach (var color in Colors)
        {
            if (color == except) continue;
            var (cr, cg, cb) = rgb[(int)color];
            double dr = r - cr / 255.0, dg = g - cg / 255.0, db = b - cb / 255.0;
            double d = Math.Sqrt(dr * dr + dg * dg + db * db);
            if (d < best) { second = best; best = d; bestColor = color; }
            else if (d < second) second = d;
        }
        return (bestColor, second <= 0 ? 0 : 1 - best / second);
    }
}
