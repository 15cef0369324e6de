using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>Shared multi-head attention math over a fused q|k|v projection.</summary>
public static class Attention
{
    /// <summary>
    /// qkv [B, N, 3*W] laid out as q|k|v (each W = heads*headDim, head-major) -> attention output [B, N, W].
    /// <paramref name="rope"/>, when given, rotates q and k of the first positions (image tokens only).
    /// </summary>
    public static Tensor MultiHead(Tensor qkv, int heads, bool causal = false, Func<Tensor, Tensor>? rope = null)
    {
        long b = qkv.shape[0], n = qkv.shape[1], w = qkv.shape[2] / 3;
        var parts = qkv.view(b, n, 3, heads, w / heads).permute(2, 0, 3, 1, 4); // [3, B, H, N, D]
        Tensor q = parts[0], k = parts[1], v = parts[2];
        if (rope is not null)
        {
            q = rope(q);
            k = rope(k);
        }
        var o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal);
        return o.transpose(1, 2).reshape(b, n, w);
    }
}
