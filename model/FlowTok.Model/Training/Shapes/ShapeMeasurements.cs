namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// What the checker measured on the foreground, lengths as fractions of the image side: kept on the reading so a wrong
/// call can be explained.
/// </summary>
/// <param name="Area">Foreground area (anti-aliased coverage summed), as a fraction of the image.</param>
/// <param name="CentroidX">Coverage-weighted centre, x, y pointing down.</param>
/// <param name="CentroidY">Coverage-weighted centre, y.</param>
/// <param name="MaxRadius">Farthest outline point from the centre.</param>
/// <param name="Harmonics">Magnitudes of the outline's radius profile harmonics 0..6, each divided by the mean radius
/// (index 0 is 1): a square is strong in 4, a triangle in 3, a star in 5, a circle in none.</param>
/// <param name="Roundness">Smallest over largest radius of the (smoothed) outline: ~0.95 for a circle, ~0.75 for a
/// square, ~0.55 for a triangle, ~0.5 for the star and cross.</param>
/// <param name="Solidity">Area over the area of the outline's convex hull: ~1 for convex shapes, lower for star and cross.</param>
public sealed record ShapeMeasurements(
    double Area,
    double CentroidX,
    double CentroidY,
    double MaxRadius,
    IReadOnlyList<double> Harmonics,
    double Roundness,
    double Solidity);
