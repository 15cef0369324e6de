namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// Where and how big shapes are drawn, as fractions of the image side so any resolution works. The renderer draws with
/// these numbers and the checker's decision boundaries are derived from them, so the two cannot drift apart.
/// At 64 px: quadrant centres at 19 px from the edges, small radius 9 px, large 14 px, offsets up to 2 px.
/// <para>
/// Small shapes were 6 px in radius (large 12, anchors 17) until the second bundled model: drawn that small, a star's arms
/// and a cross's are 2-3 px wide, under the tokenizer's 8 px patches, and the tokens alone read back only 35-53% of small
/// shapes (92-95% of large ones). At 9 px every feature spans a few pixels; a large shape with the most jitter still stays
/// a pixel clear of the border (a cross arm corner: 14 x 1.08 x 1.044 + 2 = 17.8 &lt; 19 - 1).
/// </para>
/// </summary>
public static class ShapeLayout
{
    /// <summary>Distance of a quadrant's centre from the image edges.</summary>
    public const double QuadrantAnchor = 19.0 / 64;
    /// <summary>Nominal radius (centre to farthest point of a circle or star) of each size.</summary>
    public const double SmallRadius = 9.0 / 64, LargeRadius = 14.0 / 64;
    /// <summary>Largest per-image offset of the centre along each axis.</summary>
    public const double MaxOffset = 2.0 / 64;
    /// <summary>Largest per-image scale change (±8%): far from making small and large meet (a factor of 1.56).</summary>
    public const double MaxScaleJitter = 0.08;
    /// <summary>Largest per-image rotation of the non-circles, in degrees: small enough that a square never reads as a diamond.</summary>
    public const double MaxRotationDegrees = 15;

    /// <summary>Half side of the square, relative to the nominal radius (so its area is close to the circle's).</summary>
    public const double SquareHalfSide = 0.8;
    /// <summary>Circumradius of the triangle, relative to the nominal radius (triangles look small otherwise).</summary>
    public const double TriangleRadius = 1.05;
    /// <summary>Inner radius of the five-pointed star, relative to its tips.</summary>
    public const double StarInnerRadius = 0.42;
    /// <summary>Half width of the cross's arms, relative to the nominal radius.</summary>
    public const double CrossHalfWidth = 0.3;

    /// <summary>Centre of a position, as fractions (x, y) of the image side, y pointing down.</summary>
    public static (double X, double Y) Anchor(ShapePosition position) => position switch
    {
        ShapePosition.TopLeft => (QuadrantAnchor, QuadrantAnchor),
        ShapePosition.TopRight => (1 - QuadrantAnchor, QuadrantAnchor),
        ShapePosition.BottomLeft => (QuadrantAnchor, 1 - QuadrantAnchor),
        ShapePosition.BottomRight => (1 - QuadrantAnchor, 1 - QuadrantAnchor),
        ShapePosition.Center => (0.5, 0.5),
        _ => throw new ArgumentOutOfRangeException(nameof(position)),
    };

    public static double Radius(ShapeSize size) => size == ShapeSize.Small ? SmallRadius : LargeRadius;
}
