namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// A placed shape in pixel coordinates: a disc, or a union of convex polygons (the star is five convex kites, the cross
/// two bars), each kept as half-planes so that a point test is a few multiply-adds.
/// </summary>
internal sealed class ShapeOutline
{
    private readonly double centerX, centerY, radius;
    private readonly bool isDisc;
    /// <summary>Per convex part: (a, b, c) per edge, the point is inside when a*x + b*y + c >= 0 for every edge.</summary>
    private readonly double[][] parts;
    private readonly double minX, minY, maxX, maxY;

    private ShapeOutline(double centerX, double centerY, double radius, List<(double X, double Y)[]> polygons)
    {
        (this.centerX, this.centerY, this.radius) = (centerX, centerY, radius);
        isDisc = polygons.Count == 0;
        parts = polygons.Select(HalfPlanes).ToArray();
        if (isDisc)
            (minX, minY, maxX, maxY) = (centerX - radius, centerY - radius, centerX + radius, centerY + radius);
        else
        {
            var all = polygons.SelectMany(p => p).ToArray();
            (minX, minY, maxX, maxY) = (all.Min(p => p.X), all.Min(p => p.Y), all.Max(p => p.X), all.Max(p => p.Y));
        }
    }

    /// <summary>The scene's shape at its jittered centre, scale and rotation, for an image of <paramref name="size"/> pixels.</summary>
    public static ShapeOutline Of(ShapeScene scene, int size)
    {
        var (ax, ay) = ShapeLayout.Anchor(scene.Position);
        double dx = 0, dy = 0, scale = 1, rotation = 0;
        if (scene.Variation != 0)
        {
            var random = new SceneRandom(scene.Variation);
            dx = random.NextSigned() * ShapeLayout.MaxOffset;
            dy = random.NextSigned() * ShapeLayout.MaxOffset;
            scale = 1 + random.NextSigned() * ShapeLayout.MaxScaleJitter;
            rotation = random.NextSigned() * ShapeLayout.MaxRotationDegrees * Math.PI / 180;
        }
        double cx = (ax + dx) * size, cy = (ay + dy) * size, r = ShapeLayout.Radius(scene.Size) * scale * size;
        double cos = Math.Cos(rotation), sin = Math.Sin(rotation);
        (double X, double Y)[] Place(params (double X, double Y)[] unit) =>
            unit.Select(p => (cx + r * (p.X * cos - p.Y * sin), cy + r * (p.X * sin + p.Y * cos))).ToArray();
        // Unit-radius outlines, y pointing down (so -90 degrees is "up").
        static (double, double) Polar(double radius, double degrees) =>
            (radius * Math.Cos(degrees * Math.PI / 180), radius * Math.Sin(degrees * Math.PI / 180));

        var polygons = new List<(double X, double Y)[]>();
        switch (scene.Shape)
        {
            case Shape.Circle:
                break;
            case Shape.Square:
                double h = ShapeLayout.SquareHalfSide;
                polygons.Add(Place((-h, -h), (h, -h), (h, h), (-h, h)));
                break;
            case Shape.Triangle:
                double t = ShapeLayout.TriangleRadius;
                polygons.Add(Place(Polar(t, -90), Polar(t, 30), Polar(t, 150)));
                break;
            case Shape.Star:
                for (int k = 0; k < 5; k++)
                {
                    double tip = -90 + 72 * k;
                    polygons.Add(Place((0, 0), Polar(ShapeLayout.StarInnerRadius, tip - 36), Polar(1, tip), Polar(ShapeLayout.StarInnerRadius, tip + 36)));
                }
                break;
            case Shape.Cross:
                double w = ShapeLayout.CrossHalfWidth;
                polygons.Add(Place((-1, -w), (1, -w), (1, w), (-1, w)));
                polygons.Add(Place((-w, -1), (w, -1), (w, 1), (-w, 1)));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scene), scene.Shape, "unknown shape");
        }
        return new ShapeOutline(cx, cy, r, polygons);
    }

    /// <summary>Inclusive pixel range that can be touched, clipped to the image.</summary>
    public (int X0, int Y0, int X1, int Y1) PixelBounds(int size) =>
        (Math.Max(0, (int)Math.Floor(minX)), Math.Max(0, (int)Math.Floor(minY)),
         Math.Min(size - 1, (int)Math.Floor(maxX)), Math.Min(size - 1, (int)Math.Floor(maxY)));

    /// <summary>
    /// Whether a pixel is wholly inside (1) or wholly outside (0) as far as samples within <paramref name="reach"/> of
    /// its centre go, or straddles the outline (-1) and must be supersampled. Most pixels are decided by this one test.
    /// </summary>
    public int Classify(double x, double y, double reach)
    {
        if (isDisc)
        {
            double dx = x - centerX, dy = y - centerY;
            double d = Math.Sqrt(dx * dx + dy * dy) - radius;
            return d <= -reach ? 1 : d >= reach ? 0 : -1;
        }
        bool allOut = true;
        foreach (var part in parts)
        {
            double nearest = double.MaxValue; // distance to the nearest edge line, negative when outside it
            for (int e = 0; e < part.Length; e += 3)
                nearest = Math.Min(nearest, part[e] * x + part[e + 1] * y + part[e + 2]);
            if (nearest >= reach) return 1;
            if (nearest > -reach) allOut = false;
        }
        return allOut ? 0 : -1;
    }

    public bool Contains(double x, double y)
    {
        if (isDisc)
        {
            double dx = x - centerX, dy = y - centerY;
            return dx * dx + dy * dy <= radius * radius;
        }
        foreach (var part in parts)
        {
            bool inside = true;
            for (int e = 0; e < part.Length && inside; e += 3)
                inside = part[e] * x + part[e + 1] * y + part[e + 2] >= 0;
            if (inside) return true;
        }
        return false;
    }

    private static double[] HalfPlanes((double X, double Y)[] polygon)
    {
        double area = 0;
        for (int i = 0; i < polygon.Length; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Length]);
            area += a.X * b.Y - b.X * a.Y;
        }
        double sign = Math.Sign(area);
        var edges = new double[polygon.Length * 3];
        for (int i = 0; i < polygon.Length; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Length]);
            // sign * cross(b - a, p - a) >= 0 on the inner side of edge a -> b; unit normal, so the value is a distance.
            double length = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
            double ca = -sign * (b.Y - a.Y) / length, cb = sign * (b.X - a.X) / length;
            edges[3 * i] = ca;
            edges[3 * i + 1] = cb;
            edges[3 * i + 2] = -(ca * a.X + cb * a.Y);
        }
        return edges;
    }
}
