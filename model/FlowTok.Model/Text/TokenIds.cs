using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Text;

/// <summary>Token-id batches from <see cref="ClipTokenizer.EncodeBatch"/> as the int64 tensors the text models take.</summary>
public static class TokenIds
{
    /// <summary>[B, ctx] ids as an int64 tensor.</summary>
    public static Tensor ToTensor(long[,] ids, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var flat = new long[ids.Length];
        Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
        return torch.tensor(flat, [ids.GetLength(0), ids.GetLength(1)], device: device);
    }
}
