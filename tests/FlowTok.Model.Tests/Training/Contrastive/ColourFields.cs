using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training.Contrastive;

/// <summary>
/// A tiny captioned image set for contrastive tests, independent of the real dataset: "a {shade} {colour} field"
/// (12 captions) over flat 64x64 colour fields of that shade and colour, with a little pixel noise.
/// </summary>
internal static class ColourFields
{
    public const int ImageSize = 64;

    private static readonly string[] Shades = ["dark", "light"];
    private static readonly (string Name, float R, float G, float B)[] Colours =
    [
        ("red", 1, 0, 0), ("green", 0, 1, 0), ("blue", 0, 0, 1), ("yellow", 1, 1, 0), ("cyan", 0, 1, 1), ("magenta", 1, 0, 1),
    ];

    public static int Classes => Shades.Length * Colours.Length;

    public static string Caption(int kind) => $"a {Shades[kind / Colours.Length]} {Colours[kind % Colours.Length].Name} field";

    public static IReadOnlyList<string> AllCaptions { get; } = Enumerable.Range(0, Classes).Select(Caption).ToArray();

    /// <summary>Images [n, 3, 64, 64] in [0, 1] of the given kinds, noise drawn from <paramref name="generator"/>.</summary>
    public static Tensor Images(IReadOnlyList<int> kinds, Generator generator)
    {
        var rgb = new float[kinds.Count * 3];
        for (int i = 0; i < kinds.Count; i++)
        {
            var (_, r, g, b) = Colours[kinds[i] % Colours.Length];
            bool dark = kinds[i] / Colours.Length == 0;
            // Dark: half intensity; light: halfway to white.
            float Shade(float c) => dark ? 0.5f * c : 0.5f + 0.5f * c;
            rgb[3 * i] = Shade(r);
            rgb[3 * i + 1] = Shade(g);
            rgb[3 * i + 2] = Shade(b);
        }
        var fields = torch.tensor(rgb, [kinds.Count, 3, 1, 1]).expand(kinds.Count, 3, ImageSize, ImageSize);
        var noise = torch.randn([kinds.Count, 3, ImageSize, ImageSize], generator: generator) * 0.05;
        return (fields + noise).clamp(0, 1);
    }

    /// <summary>A training batch for a step: random kinds and noise, fixed by (seed, step).</summary>
    public static (Tensor Images, string[] Captions) Batch(int step, int size, ulong seed = 17)
    {
        using var generator = new Generator(seed * 100_003 + (ulong)step);
        var kinds = torch.randint(0, Classes, [size], generator: generator).data<long>().Select(k => (int)k).ToArray();
        return (Images(kinds, generator), kinds.Select(Caption).ToArray());
    }
}
