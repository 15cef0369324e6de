namespace FlowTok.Model.Tests.Training.Shapes;

/// <summary>Imperfections like a generator's: a slight blur and Gaussian pixel noise, seeded so tests repeat exactly.</summary>
internal static class ImageDegradation
{
    private static readonly double[] Normals = StandardNormals(1 << 18, seed: 7);

    private static double[] StandardNormals(int count, int seed)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (int i = 0; i < count; i++) // Box-Muller
            values[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return values;
    }

    /// <summary>Channel-first [3, H, W] planes in [0, 1] -> blurred ([1 2 1]/4 both ways, sigma ~0.7 px), noised, clamped.</summary>
    public static float[] BlurAndNoise(ReadOnlySpan<float> planar, int size, double sigma, int seed, bool blur = true)
    {
        var result = planar.ToArray();
        int plane = size * size;
        if (blur)
            for (int c = 0; c < 3; c++)
            {
                var channel = result.AsSpan(c * plane, plane);
                Blur(channel, size, horizontal: true);
                Blur(channel, size, horizontal: false);
            }
        // Noise comes from one shared table of standard normals at a seeded offset: cheap, and still repeatable.
        int offset = new Random(seed).Next(Normals.Length);
        for (int i = 0; i < result.Length; i++)
            result[i] = (float)Math.Clamp(result[i] + sigma * Normals[(offset + i) % Normals.Length], 0, 1);
        return result;
    }

    public static float[] Planar(byte[] rgb)
    {
        int plane = rgb.Length / 3;
        var planar = new float[rgb.Length];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                planar[c * plane + p] = rgb[3 * p + c] / 255f;
        return planar;
    }

    private static void Blur(Span<float> channel, int size, bool horizontal)
    {
        var source = channel.ToArray();
        int step = horizontal ? 1 : size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int p = y * size + x, along = horizontal ? x : y;
                float before = source[along > 0 ? p - step : p], after = source[along < size - 1 ? p + step : p];
                channel[p] = (before + 2 * source[p] + after) / 4;
            }
    }
}
