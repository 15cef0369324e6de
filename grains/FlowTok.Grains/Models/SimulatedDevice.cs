using FlowTok.Contracts.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Grains.Models;

/// <summary>
/// Configuration of simulated devices ("sim:0", "sim:1"... in Model:Devices): a batch of n items takes
/// <see cref="BatchLatency"/> + n x <see cref="ItemLatency"/> of wall time and no CPU, like a GPU seen from the host.
/// For measuring scheduling, batching and scale-out with many "devices" on a small machine; off unless configured.
/// </summary>
public sealed class SimulatedDeviceOptions
{
    public TimeSpan BatchLatency { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan ItemLatency { get; set; } = TimeSpan.FromMilliseconds(25);
    public int ImageSize { get; set; } = 64;

    public static bool IsSimulated(string device) => device.StartsWith("sim", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The outputs of a simulated device: flat images (colour chosen by seed) and a fixed caption.</summary>
internal sealed class SimulatedDevice(SimulatedDeviceOptions options)
{
    private static readonly Rgb24[] Colours =
        [new(220, 40, 40), new(40, 160, 60), new(40, 80, 220), new(240, 210, 40), new(250, 250, 250), new(20, 20, 20), new(240, 140, 30), new(140, 60, 200)];

    private readonly byte[][] pngs = Colours.Select(c => Png(c, options.ImageSize)).ToArray();

    public ModelDescriptor Descriptor { get; } = new()
    {
        Name = "simulated",
        Version = $"simulated@{options.BatchLatency.TotalMilliseconds:0}ms+{options.ItemLatency.TotalMilliseconds:0}ms",
        ImageSize = options.ImageSize,
        TextToImage = true,
        ImageToText = true,
    };

    public TimeSpan StepTime(int items, int steps) => (options.BatchLatency + options.ItemLatency * items) / Math.Max(1, steps);

    public byte[] Image(long seed) => pngs[(int)((ulong)seed % (ulong)pngs.Length)];

    public static string Caption(byte[] image) => $"a simulated caption of a {image.Length}-byte image";

    private static byte[] Png(Rgb24 colour, int size)
    {
        using var image = new Image<Rgb24>(size, size, colour);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
