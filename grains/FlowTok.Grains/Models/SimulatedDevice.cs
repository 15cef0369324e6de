using FlowTok.Contracts.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Grains.Models;

/// <summary>
/// Configuration of simulated devices ("sim:0", "sim:1"... in Model:Devices): wall time and no CPU, like a GPU seen from the
/// host, by a per-step cost model. One sampler step over n rows takes <see cref="StepLatency"/> + n x <see cref="RowStepLatency"/>;
/// decoding n finished rows takes <see cref="DecodeLatency"/> + n x <see cref="DecodeRowLatency"/>. Unset, the step costs follow
/// the older per-batch figures: a 20-step batch of n takes <see cref="BatchLatency"/> + n x <see cref="ItemLatency"/>.
/// For measuring scheduling, batching and scale-out with many "devices" on a small machine; off unless configured.
/// </summary>
public sealed class SimulatedDeviceOptions
{
    /// <summary>Steps the per-batch figures describe (the paper's default).</summary>
    public const int ReferenceSteps = 20;

    public TimeSpan BatchLatency { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan ItemLatency { get; set; } = TimeSpan.FromMilliseconds(25);
    public TimeSpan? StepLatency { get; set; }
    public TimeSpan? RowStepLatency { get; set; }
    public TimeSpan DecodeLatency { get; set; } = TimeSpan.Zero;
    public TimeSpan DecodeRowLatency { get; set; } = TimeSpan.Zero;
    public int ImageSize { get; set; } = 64;

    public TimeSpan EffectiveStepLatency => StepLatency ?? BatchLatency / ReferenceSteps;
    public TimeSpan EffectiveRowStepLatency => RowStepLatency ?? ItemLatency / ReferenceSteps;

    /// <summary>One step over <paramref name="rows"/> rows.</summary>
    public TimeSpan StepTime(int rows) => EffectiveStepLatency + EffectiveRowStepLatency * rows;

    /// <summary>Decoding <paramref name="rows"/> finished rows.</summary>
    public TimeSpan DecodeTime(int rows) => rows == 0 ? TimeSpan.Zero : DecodeLatency + DecodeRowLatency * rows;

    public static bool IsSimulated(string device) => device.StartsWith("sim", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The outputs of a simulated device: flat images (colour chosen by seed) and a fixed caption.</summary>
internal sealed class SimulatedOutputs(SimulatedDeviceOptions options)
{
    public const string Name = "simulated";

    private static readonly Rgb24[] Colours =
        [new(220, 40, 40), new(40, 160, 60), new(40, 80, 220), new(240, 210, 40), new(250, 250, 250), new(20, 20, 20), new(240, 140, 30), new(140, 60, 200)];

    private readonly byte[][] pngs = Colours.Select(c => Png(c, options.ImageSize)).ToArray();

    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = Name,
        Version = $"simulated@{options.EffectiveStepLatency.TotalMilliseconds:0.###}ms+{options.EffectiveRowStepLatency.TotalMilliseconds:0.###}ms/step",
        ImageSize = options.ImageSize,
        TextToImage = true,
        ImageToText = true,
    };

    public byte[] Image(long seed) => pngs[(int)((ulong)seed % (ulong)pngs.Length)];

    /// <summary>A preview after step <paramref name="step"/> of <paramref name="steps"/>: the seed's colour, faded towards mid-grey
    /// by the fraction of steps still to go (deterministic, cheap).</summary>
    public byte[] Preview(long seed, int step, int steps)
    {
        var colour = Colours[(int)((ulong)seed % (ulong)Colours.Length)];
        double done = steps <= 0 ? 1 : Math.Clamp(step / (double)steps, 0, 1);
        byte Fade(byte c) => (byte)Math.Round(128 + (c - 128) * done);
        return Png(new Rgb24(Fade(colour.R), Fade(colour.G), Fade(colour.B)), options.ImageSize);
    }

    public static string Caption(byte[] image) => $"a simulated caption of a {image.Length}-byte image";

    private static byte[] Png(Rgb24 colour, int size)
    {
        using var image = new Image<Rgb24>(size, size, colour);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
