using FlowTok.Model.ImageTokenizer;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Training images encoded once by the frozen tokenizer, for the flow stages: each image's posterior (mean and standard
/// deviation, in flow-token space), the share of each token's cell the object covers, and its caption. A flow step then
/// draws a fresh posterior sample instead of rendering and encoding (a quarter of a text-to-image step). Sample i of a
/// stage is image <c>order[i mod Count]</c>, the order reshuffled (seeded) for every pass over the pool.
/// </summary>
public sealed class ImageTokenPool : IDisposable
{
    private readonly Tensor mean, std;
    private readonly Tensor? cells;
    private readonly string[] captions;
    private readonly int seed;
    private readonly Dictionary<long, long[]> orders = new();

    private ImageTokenPool(Tensor mean, Tensor std, Tensor? cells, string[] captions, int seed)
    {
        (this.mean, this.std, this.cells, this.captions, this.seed) = (mean, std, cells, captions, seed);
    }

    public int Count => captions.Length;
    public bool HasCells => cells is not null;

    /// <summary>Encodes images 0 .. count-1 of <paramref name="data"/> in batches; with <paramref name="withCells"/> also keeps the
    /// object's share of each token's grid cell (grid-aligned tokenizers only, see <see cref="TextToImageStage.TokenWeights"/>).</summary>
    public static ImageTokenPool Encode(FlowTiTok tokenizer, ICaptionedImages data, int count, int batchSize, bool withCells, int seed,
        Action<int>? encoded = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var config = tokenizer.Config;
        if (withCells && (!config.GridAlignedLatents || config.LatentRows == 0))
            throw new ArgumentException("token cells need grid-aligned image tokens (each token owns a cell of the image)", nameof(withCells));
        var means = new List<Tensor>();
        var stds = new List<Tensor>();
        var cellParts = new List<Tensor>();
        var captions = new string[count];
        try
        {
            using var noGrad = torch.no_grad();
            for (int first = 0; first < count; first += batchSize)
            {
                int n = Math.Min(batchSize, count - first);
                using var scope = torch.NewDisposeScope();
                var (images, batchCaptions) = data.Batch(first, n);
                batchCaptions.CopyTo(captions, first);
                using var posterior = new DiagonalGaussian(tokenizer.EncodePosterior(images));
                means.Add(tokenizer.ToFlowTokens(posterior.Mean).to(ScalarType.Float32).DetachFromDisposeScope());
                stds.Add(tokenizer.ToFlowTokens(posterior.Std).to(ScalarType.Float32).DetachFromDisposeScope());
                if (withCells) cellParts.Add(CellCoverage(images, config).DetachFromDisposeScope());
                encoded?.Invoke(first + n);
            }
            return new ImageTokenPool(torch.cat(means, 0), torch.cat(stds, 0), withCells ? torch.cat(cellParts, 0) : null, captions, seed);
        }
        finally
        {
            foreach (var t in means.Concat(stds).Concat(cellParts)) t.Dispose();
        }
    }

    /// <summary>[B, N]: the share of each token's grid cell covered by the object (pixels off the background colour).</summary>
    public static Tensor CellCoverage(Tensor images, ImageTokenizerConfig config)
    {
        using var scope = torch.NewDisposeScope();
        using var mask = ImageTokenizerStage.ForegroundMask(images);
        return nn.functional.adaptive_avg_pool2d(mask, [config.LatentRows, config.LatentColumns]).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>Samples first .. first+count-1: posterior means and a fresh posterior sample [B, N, C], the cells [B, N] (if kept)
    /// and the captions.</summary>
    public PooledBatch Batch(long first, int count, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        using var scope = torch.NewDisposeScope();
        var rows = new long[count];
        for (int i = 0; i < count; i++) rows[i] = ImageOf(first + i);
        using var index = torch.tensor(rows);
        var m = mean.index_select(0, index);
        var s = std.index_select(0, index);
        var sample = m + s * torch.randn(m.shape, generator: generator);
        var c = cells?.index_select(0, index);
        return new PooledBatch(m.MoveToOuterDisposeScope(), sample.MoveToOuterDisposeScope(), c?.MoveToOuterDisposeScope(),
            rows.Select(r => captions[r]).ToArray());
    }

    /// <summary>The pool image that sample <paramref name="sample"/> of a stage reads.</summary>
    public long ImageOf(long sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        long pass = sample / Count;
        if (!orders.TryGetValue(pass, out var order))
        {
            order = Enumerable.Range(0, Count).Select(i => (long)i).ToArray();
            if (pass > 0) new Random(unchecked(seed * 1_000_003 + (int)pass)).Shuffle(order);
            if (orders.Count > 4) orders.Clear();
            orders[pass] = order;
        }
        return order[sample % Count];
    }

    public void Dispose()
    {
        mean.Dispose();
        std.Dispose();
        cells?.Dispose();
    }
}

/// <summary>A batch drawn from an <see cref="ImageTokenPool"/>.</summary>
public sealed record PooledBatch(Tensor Mean, Tensor Sample, Tensor? Cells, string[] Captions);
