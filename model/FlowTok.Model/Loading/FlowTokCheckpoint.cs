using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Loading;

/// <summary>
/// A published FlowTok checkpoint (<c>FlowTok-XL.pth</c>, <c>FlowTok-H.pth</c>) holds the flow transformer at the
/// root and the text VAE under <c>context_encoder.*</c>, <c>context_projector.*</c>, <c>t2t_temperature</c>.
/// This splits it into the two components' own state dicts.
/// </summary>
public static class FlowTokCheckpoint
{
    private static readonly string[] TextVaePrefixes = ["context_encoder.", "context_projector."];
    private const string Temperature = "t2t_temperature";

    public static bool IsTextVaeKey(string key) =>
        key == Temperature || TextVaePrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));

    public static Dictionary<string, Tensor> TextVaePart(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.Where(kv => IsTextVaeKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    public static Dictionary<string, Tensor> FlowPart(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.Where(kv => !IsTextVaeKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

}
