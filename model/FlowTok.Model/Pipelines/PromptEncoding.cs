using static TorchSharp.torch;

namespace FlowTok.Model.Pipelines;

/// <summary>
/// What the text encoders make of a batch of prompts: CLIP ids [B, 77], CLIP states [B, 77, W] (also the decoder's
/// text guidance), and the text VAE's mu and logvar [B, 77, C]. Cacheable: a hit skips CLIP and the text VAE.
/// </summary>
public sealed class PromptEncoding : IDisposable
{
    public PromptEncoding(Tensor ids, Tensor clipStates, Tensor mu, Tensor logVar)
    {
        Ids = ids;
        ClipStates = clipStates;
        Mu = mu;
        LogVar = logVar;
    }

    public Tensor Ids { get; }
    public Tensor ClipStates { get; }
    public Tensor Mu { get; }
    public Tensor LogVar { get; }
    public long Count => Ids.shape[0];

    /// <summary>Rows <paramref name="index"/> repeated <paramref name="times"/> (one prompt, n images).</summary>
    public PromptEncoding Repeat(int index, int times) => new(
        Ids[index].unsqueeze(0).expand(times, -1).clone(),
        ClipStates[index].unsqueeze(0).expand(times, -1, -1).clone(),
        Mu[index].unsqueeze(0).expand(times, -1, -1).clone(),
        LogVar[index].unsqueeze(0).expand(times, -1, -1).clone());

    /// <summary>Concatenates encodings along the batch (for dynamic batching of separately encoded prompts).</summary>
    public static PromptEncoding Concat(IReadOnlyList<PromptEncoding> parts) => new(
        cat(parts.Select(p => p.Ids).ToArray()),
        cat(parts.Select(p => p.ClipStates).ToArray()),
        cat(parts.Select(p => p.Mu).ToArray()),
        cat(parts.Select(p => p.LogVar).ToArray()));

    public PromptEncoding MoveToOuterDisposeScope()
    {
        Ids.MoveToOuterDisposeScope();
        ClipStates.MoveToOuterDisposeScope();
        Mu.MoveToOuterDisposeScope();
        LogVar.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        Ids.Dispose();
        ClipStates.Dispose();
        Mu.Dispose();
        LogVar.Dispose();
    }
}
