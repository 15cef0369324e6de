using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Posterior-mean image tokens of training batches, handed from the text-to-image stage (which encodes every batch anyway)
/// to the image-to-text stage that follows it in the same run and reads the same batches: each image then goes through the
/// tokenizer's encoder once, which saved image-to-text about a quarter of its time (5:47 instead of 7:35). A batch is kept
/// only if it lies within the first <paramref name="capacityImages"/> images, and is taken once. A miss costs nothing but the
/// encoding it would have saved.
/// </summary>
public sealed class ImageTokenCache(long capacityImages) : IDisposable
{
    private readonly Dictionary<(long First, int Count), Tensor> batches = new();

    public int Count => batches.Count;

    /// <summary>Keeps a copy of the tokens [B, N, C] of images first .. first+count-1 (if they fit the capacity).</summary>
    public void Add(long firstIndex, int count, Tensor meanTokens)
    {
        if (firstIndex + count > capacityImages || batches.ContainsKey((firstIndex, count))) return;
        batches[(firstIndex, count)] = meanTokens.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The kept tokens of that batch, as a new tensor in the caller's dispose scope, or null; the cache lets go of them.</summary>
    public Tensor? Take(long firstIndex, int count)
    {
        if (!batches.Remove((firstIndex, count), out var kept)) return null;
        using (kept) return kept.clone();
    }

    public void Dispose()
    {
        foreach (var t in batches.Values) t.Dispose();
        batches.Clear();
    }
}
