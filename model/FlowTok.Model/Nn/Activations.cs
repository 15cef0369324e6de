using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

public static class Activations
{
    /// <summary>CLIP's QuickGELU: x * sigmoid(1.702 x).</summary>
    public static Tensor QuickGelu(Tensor x) => x * torch.sigmoid(x * 1.702);

    /// <summary>GELU with the tanh approximation (timm Mlp in DiT uses approximate="tanh").</summary>
    public static Tensor GeluTanh(Tensor x) => x.gelu(TorchSharp.Modules.GELU.Approximate.tanh);
}
