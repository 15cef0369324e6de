using static TorchSharp.torch;

namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// Reads a scene's attributes back from pixels by plain, deterministic image analysis: the judge of generated images
/// (and a sanity check of the renderer). Steps:
/// <list type="number">
/// <item>background = per-channel median of the border pixels;</item>
/// <item>foreground = the largest 4-connected blob of pixels far from the background colour;</item>
/// <item>shape colour = median of the blob's most saturated half (edge pixels are background mixtures);</item>
/// <item>coverage = each pixel's position between background and shape colour, which makes the outline sub-pixel;</item>
/// <item>position = the coverage centroid's nearest anchor; size = the outline's largest radius;</item>
/// <item>shape = the outline's radius profile around the centroid: its dominant harmonic (3, 4 or 5 corners or
///   arms), how round it is, and how concave (solidity).</item>
/// </list>
/// Colours are matched to the nearest palette entry, and the shape colour is never taken to be the background's (the
/// grammar forbids it), so a generator's slight colour drift is tolerated.
/// </summary>
public static class AnalyticChecker
{
    /// <summary>RGB distance (in [0, 1] units) beyond which a pixel counts as foreground: under half the closest palette pair (0.39).</summary>
    private const double ForegroundDistance = 0.2;
    /// <summary>Smallest blob, as a fraction of the image, that counts as a shape (a small circle is ~6%).</summary>
    private const double MinForegroundArea = 0.002;
    private const int ProfileRays = 128;
    private const double RayStep = 0.25;

    public static CheckerReading Read(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"expected an image tensor [3, H, W], got [{string.Join(", ", image.shape)}]");
        int height = (int)image.shape[1], width = (int)image.shape[2];
        return Read(Planar(image), width, height);
    }

    /// <summary>Reads every image of a [B, 3, H, W] batch.</summary>
    public static IReadOnlyList<CheckerReading> ReadBatch(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"expected an image batch [B, 3, H, W], got [{string.Join(", ", images.shape)}]");
        int count = (int)images.shape[0], height = (int)images.shape[2], width = (int)images.shape[3];
        var all = Planar(images);
        int stride = 3 * width * height;
        return Enumerable.Range(0, count).Select(b => Read(all.AsSpan(b * stride, stride), width, height)).ToArray();
    }

    /// <summary>Reads RGB bytes, row-major [H, W, 3], of a square image.</summary>
    public static CheckerReading Read(ReadOnlySpan<byte> rgb, int size)
    {
        if (rgb.Length != size * size * 3) throw new ArgumentException($"expected {size * size * 3} bytes for a {size}x{size} RGB image, got {rgb.Length}");
        int plane = size * size;
        var planar = new float[3 * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                planar[c * plane + p] = rgb[3 * p + c] / 255f;
        return Read(planar, size, size);
    }

    /// <summary>Reads a channel-first image (R plane, G plane, B plane) with values in [0, 1].</summary>
    public static CheckerReading Read(ReadOnlySpan<float> planar, int width, int height)
    {
        if (planar.Length != 3 * width * height) throw new ArgumentException($"expected {3 * width * height} values for a {width}x{height} image, got {planar.Length}");
        return new Reading(planar, width, height).Run();
    }

    /// <summary>Per-attribute correctness of a prediction (from pixels or from a parsed caption).</summary>
    public static AttributeScore Score(ShapeScene expected, SceneAttributes predicted) => AttributeScore.Of(expected, predicted);

    public static AttributeScore Score(ShapeScene expected, CheckerReading reading) => AttributeScore.Of(expected, reading.Attributes);

    private static float[] Planar(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>One image's analysis; the steps share the pixel planes and the coverage map.</summary>
    private ref struct Reading(ReadOnlySpan<float> planar, int width, int height)
    {
        private readonly ReadOnlySpan<float> red = planar[..(width * height)];
        private readonly ReadOnlySpan<float> green = planar.Slice(width * height, width * height);
        private readonly ReadOnlySpan<float> blue = planar.Slice(2 * width * height, width * height);
        private readonly int plane = width * height;
        private readonly int side = Math.Min(width, height);

        public CheckerReading Run()
        {
            var (bgR, bgG, bgB) = BorderMedian();
            var (background, backgroundMargin) = Palette.Nearest(bgR, bgG, bgB);
            var distance = new float[plane];
            for (int p = 0; p < plane; p++)
                distance[p] = (float)Distance(red[p], green[p], blue[p], bgR, bgG, bgB);

            var blob = LargestBlob(distance);
            if (blob.Count < Math.Max(3, MinForegroundArea * plane))
                return new CheckerReading(new SceneAttributes(Background: background), false, 0, null);

            var (fgR, fgG, fgB) = CoreMedian(blob, distance);
            var (color, colorMargin) = Palette.Nearest(fgR, fgG, fgB, except: background);
            var coverage = Coverage(blob, (bgR, bgG, bgB), (fgR, fgG, fgB));

            double area = 0, sumX = 0, sumY = 0;
            for (int p = 0; p < plane; p++)
            {
                if (coverage[p] <= 0) continue;
                area += coverage[p];
                sumX += coverage[p] * (p % width + 0.5);
                sumY += coverage[p] * (p / width + 0.5);
            }
            double cx = sumX / area, cy = sumY / area;
            double reach = 0; // rays need not go past the farthest covered pixel
            for (int p = 0; p < plane; p++)
                if (coverage[p] > 0)
                    reach = Math.Max(reach, (p % width + 0.5 - cx) * (p % width + 0.5 - cx) + (p / width + 0.5 - cy) * (p / width + 0.5 - cy));
            var profile = RadiusProfile(coverage, cx, cy, Math.Sqrt(reach) + 1);
            var harmonics = Harmonics(profile);
            double roundness = Roundness(profile), solidity = Solidity(profile);
            double maxRadius = profile.Max();

            var (shape, shapeMargin) = ShapeRule.Classify(harmonics);
            var (size, sizeMargin) = ReadSize(maxRadius / side, shape);
            var (position, positionMargin) = ReadPosition(cx / width, cy / height);
            var measurements = new ShapeMeasurements(area / plane, cx / width, cy / height, maxRadius / side, harmonics, roundness, solidity);
            double confidence = new[] { backgroundMargin, colorMargin, shapeMargin, sizeMargin, positionMargin }.Min();
            return new CheckerReading(new SceneAttributes(shape, color, size, position, background), true, Math.Clamp(confidence, 0, 1), measurements);
        }

        private readonly (double R, double G, double B) BorderMedian()
        {
            var border = new List<int>(2 * (width + height));
            for (int x = 0; x < width; x++) { border.Add(x); border.Add((height - 1) * width + x); }
            for (int y = 1; y < height - 1; y++) { border.Add(y * width); border.Add(y * width + width - 1); }
            return Median(border);
        }

        /// <summary>Median colour of the blob's farther-from-background half: the fully covered interior, not the edge.</summary>
        private readonly (double R, double G, double B) CoreMedian(List<int> blob, float[] distance)
        {
            var core = blob.OrderByDescending(p => distance[p]).ThenBy(p => p).Take(Math.Max(1, blob.Count / 2)).ToList();
            return Median(core);
        }

        private readonly (double R, double G, double B) Median(List<int> pixels)
        {
            var r = new float[pixels.Count];
            var g = new float[pixels.Count];
            var b = new float[pixels.Count];
            for (int i = 0; i < pixels.Count; i++) (r[i], g[i], b[i]) = (red[pixels[i]], green[pixels[i]], blue[pixels[i]]);
            Array.Sort(r); Array.Sort(g); Array.Sort(b);
            int mid = pixels.Count / 2;
            return pixels.Count % 2 == 1 ? (r[mid], g[mid], b[mid]) : ((r[mid - 1] + r[mid]) / 2.0, (g[mid - 1] + g[mid]) / 2.0, (b[mid - 1] + b[mid]) / 2.0);
        }

        /// <summary>The largest 4-connected set of foreground pixels (stray noise pixels form their own tiny blobs).</summary>
        private readonly List<int> LargestBlob(float[] distance)
        {
            var label = new int[plane];
            var best = new List<int>();
            var stack = new Stack<int>();
            int next = 0;
            for (int start = 0; start < plane; start++)
            {
                if (label[start] != 0 || distance[start] <= ForegroundDistance) continue;
                next++;
                var blob = new List<int>();
                label[start] = next;
                stack.Push(start);
                while (stack.Count > 0)
                {
                    int p = stack.Pop();
                    blob.Add(p);
                    int x = p % width, y = p / width;
                    if (x > 0) Visit(p - 1);
                    if (x < width - 1) Visit(p + 1);
                    if (y > 0) Visit(p - width);
                    if (y < height - 1) Visit(p + width);
                }
                if (blob.Count > best.Count) best = blob;
            }
            return best;

            void Visit(int q)
            {
                if (label[q] == 0 && distance[q] > ForegroundDistance) { label[q] = next; stack.Push(q); }
            }
        }

        /// <summary>
        /// How much of each pixel the shape covers: its colour's projection on the background-to-shape line, clamped to
        /// [0, 1]; only on the blob and its one-pixel rim (the anti-aliased edge), zero elsewhere so noise cannot count.
        /// </summary>
        private readonly float[] Coverage(List<int> blob, (double R, double G, double B) bg, (double R, double G, double B) fg)
        {
            double ur = fg.R - bg.R, ug = fg.G - bg.G, ub = fg.B - bg.B;
            double length2 = Math.Max(1e-6, ur * ur + ug * ug + ub * ub);
            var coverage = new float[plane];
            var inRegion = new bool[plane];
            foreach (int p in blob)
            {
                int x = p % width, y = p / width;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = x + dx, ny = y + dy;
                        if (nx >= 0 && nx < width && ny >= 0 && ny < height) inRegion[ny * width + nx] = true;
                    }
            }
            for (int p = 0; p < plane; p++)
            {
                if (!inRegion[p]) continue;
                double t = ((red[p] - bg.R) * ur + (green[p] - bg.G) * ug + (blue[p] - bg.B) * ub) / length2;
                coverage[p] = (float)Math.Clamp(t, 0, 1);
            }
            return coverage;
        }

        /// <summary>
        /// Distance from the centroid to the outline (coverage 0.5) along evenly spaced rays: the farthest crossing, so a
        /// noisy interior pixel does not cut a ray short. Every drawn shape is star-shaped around its centre.
        /// </summary>
        private readonly double[] RadiusProfile(float[] coverage, double cx, double cy, double reach)
        {
            var profile = new double[ProfileRays];
            for (int i = 0; i < ProfileRays; i++)
            {
                double angle = 2 * Math.PI * i / ProfileRays;
                double ux = Math.Cos(angle), uy = Math.Sin(angle);
                double previous = Sample(coverage, cx, cy), outline = 0;
                for (double t = RayStep; t <= reach; t += RayStep)
                {
                    double value = Sample(coverage, cx + t * ux, cy + t * uy);
                    if (previous >= 0.5 && value < 0.5)
                        outline = t - RayStep + RayStep * (previous - 0.5) / (previous - value);
                    previous = value;
                }
                profile[i] = outline;
            }
            return profile;
        }

        /// <summary>Bilinear coverage at a point (pixel centres at +0.5), zero outside the image.</summary>
        private readonly double Sample(float[] coverage, double x, double y)
        {
            double gx = x - 0.5, gy = y - 0.5;
            int x0 = (int)Math.Floor(gx), y0 = (int)Math.Floor(gy);
            double fx = gx - x0, fy = gy - y0;
            return (1 - fy) * ((1 - fx) * At(coverage, x0, y0) + fx * At(coverage, x0 + 1, y0))
                 + fy * ((1 - fx) * At(coverage, x0, y0 + 1) + fx * At(coverage, x0 + 1, y0 + 1));
        }

        private readonly double At(float[] coverage, int x, int y) =>
            x < 0 || y < 0 || x >= width || y >= height ? 0 : coverage[y * width + x];

        private readonly (ShapeSize, double Margin) ReadSize(double maxRadius, Shape shape)
        {
            // The farthest outline point of each shape relative to its nominal radius (the square's corner sticks out
            // most; the star's thin tips lose ~8% to anti-aliasing and the rays passing beside them).
            double reach = shape switch
            {
                Shape.Star => 0.92,
                Shape.Square => ShapeLayout.SquareHalfSide * Math.Sqrt(2),
                Shape.Triangle => ShapeLayout.TriangleRadius,
                Shape.Cross => Math.Sqrt(1 + ShapeLayout.CrossHalfWidth * ShapeLayout.CrossHalfWidth),
                _ => 1,
            };
            double nominal = maxRadius / reach;
            double boundary = Math.Sqrt(ShapeLayout.SmallRadius * ShapeLayout.LargeRadius);
            double margin = Math.Abs(Math.Log(nominal / boundary)) / Math.Log(ShapeLayout.LargeRadius / boundary);
            return (nominal < boundary ? ShapeSize.Small : ShapeSize.Large, Math.Min(1, margin));
        }

        private static (ShapePosition, double Margin) ReadPosition(double x, double y)
        {
            double best = double.MaxValue, second = double.MaxValue;
            var bestPosition = ShapePosition.Center;
            foreach (var position in Enum.GetValues<ShapePosition>())
            {
                var (ax, ay) = ShapeLayout.Anchor(position);
                double d = Math.Sqrt((x - ax) * (x - ax) + (y - ay) * (y - ay));
                if (d < best) { second = best; best = d; bestPosition = position; }
                else if (d < second) second = d;
            }
            return (bestPosition, 1 - best / second);
        }

        private static double Distance(double r, double g, double b, double r0, double g0, double b0) =>
            Math.Sqrt((r - r0) * (r - r0) + (g - g0) * (g - g0) + (b - b0) * (b - b0));
    }

    /// <summary>|c_k| / c_0 of the radius profile's discrete Fourier series, k = 0..6.</summary>
    private static double[] Harmonics(double[] profile)
    {
        var magnitudes = new double[7];
        double mean = profile.Average();
        for (int k = 0; k < magnitudes.Length; k++)
        {
            double re = 0, im = 0;
            for (int i = 0; i < profile.Length; i++)
            {
                double angle = 2 * Math.PI * k * i / profile.Length;
                re += profile[i] * Math.Cos(angle);
                im -= profile[i] * Math.Sin(angle);
            }
            magnitudes[k] = mean <= 0 ? 0 : Math.Sqrt(re * re + im * im) / profile.Length / mean;
        }
        return magnitudes;
    }

    /// <summary>Min over max of the profile after a 5-ray circular average (pixel noise must not make a circle look cornered).</summary>
    private static double Roundness(double[] profile)
    {
        int n = profile.Length;
        var smooth = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int d = -2; d <= 2; d++) sum += profile[(i + d + n) % n];
            smooth[i] = sum / 5;
        }
        double max = smooth.Max();
        return max <= 0 ? 0 : smooth.Min() / max;
    }

    /// <summary>Area of the outline polygon over the area of its convex hull.</summary>
    private static double Solidity(double[] profile)
    {
        int n = profile.Length;
        var points = new (double X, double Y)[n];
        for (int i = 0; i < n; i++)
        {
            double angle = 2 * Math.PI * i / n;
            points[i] = (profile[i] * Math.Cos(angle), profile[i] * Math.Sin(angle));
        }
        double hull = PolygonArea(ConvexHull(points));
        return hull <= 0 ? 0 : PolygonArea(points) / hull;
    }

    private static double PolygonArea(IReadOnlyList<(double X, double Y)> polygon)
    {
        double twice = 0;
        for (int i = 0; i < polygon.Count; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Count]);
            twice += a.X * b.Y - b.X * a.Y;
        }
        return Math.Abs(twice) / 2;
    }

    /// <summary>Andrew's monotone chain.</summary>
    private static List<(double X, double Y)> ConvexHull((double X, double Y)[] points)
    {
        var sorted = points.OrderBy(p => p.X).ThenBy(p => p.Y).ToArray();
        var hull = new List<(double X, double Y)>();
        for (int pass = 0; pass < 2; pass++)
        {
            int start = hull.Count;
            foreach (var p in sorted)
            {
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0) hull.RemoveAt(hull.Count - 1);
                hull.Add(p);
            }
            hull.RemoveAt(hull.Count - 1);
            Array.Reverse(sorted);
        }
        return hull;

        static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) =>
            (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
    }
}
