namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// SplitMix64: a tiny generator whose output is fixed by its seed on every platform and runtime version (unlike
/// System.Random's unseeded or future algorithms), so any sample can be regenerated from (seed, split, index).
/// </summary>
internal struct SceneRandom(ulong seed)
{
    private ulong state = seed;

    public ulong NextUInt64()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (the modulo bias is below 1e-17 for the tiny n used here).</summary>
    public int Next(int n) => (int)(NextUInt64() % (ulong)n);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [-1, 1).</summary>
    public double NextSigned() => 2 * NextDouble() - 1;

    /// <summary>One well-mixed seed from several parts (seed, split, index...).</summary>
    public static ulong Combine(params ReadOnlySpan<ulong> parts)
    {
        var random = new SceneRandom(0x5EED5EED5EED5EEDUL);
        ulong h = 0;
        foreach (var part in parts)
        {
            random.state ^= part + h;
            h = random.NextUInt64();
        }
        return h;
    }
}
