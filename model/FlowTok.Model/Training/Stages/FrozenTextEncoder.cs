using FlowTok.Model.Clip;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// The trained CLIP text encoder, frozen, as the later stages use it: captions -> ids -> all states. The caption set
/// is small and repeats, so states are cached per caption.
/// </summary>
public sealed class FrozenTextEncoder(ClipTokenizer tokenizer, ClipTextTransformer encoder) : IDisposable
{
    private readonly Dictionary<string, Tensor> cache = new();

    public ClipTokenizer Tokenizer => tokenizer;
    public ClipTextTransformer Encoder => encoder;

    /// <summary>Captions -> CLIP states [B, ctx, W] (no gradient).</summary>
    public Tensor States(IReadOnlyList<string> captions)
    {
        encoder.eval();
        using var noGrad = torch.no_grad();
        var missing = captions.Distinct().Where(c => !cache.ContainsKey(c)).ToArray();
        if (missing.Length > 0)
        {
            using var scope = torch.NewDisposeScope();
            var states = encoder.forward(TokenIds.ToTensor(tokenizer.EncodeBatch(missing)));
            for (int i = 0; i < missing.Length; i++)
                cache[missing[i]] = states[i].clone().DetachFromDisposeScope();
        }
        return torch.stack(captions.Select(c => cache[c]).ToArray());
    }

    /// <summary>Captions -> ids [B, ctx].</summary>
    public Tensor Ids(IReadOnlyList<string> captions) => TokenIds.ToTensor(tokenizer.EncodeBatch(captions));

    public void Dispose()
    {
        foreach (var t in cache.Values) t.Dispose();
        cache.Clear();
    }
}
