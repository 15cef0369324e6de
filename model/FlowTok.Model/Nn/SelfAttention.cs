using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Nn;

/// <summary>timm-style self-attention: fused <c>qkv</c> projection, <c>proj</c> output, no mask; optional RoPE on q and k.</summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int heads;

    public SelfAttention(int width, int heads) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        qkv = nn.Linear(width, 3 * width);
        proj = nn.Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    public Tensor Forward(Tensor x, Func<Tensor, Tensor>? rope) =>
        proj.forward(Attention.MultiHead(qkv.forward(x), heads, rope: rope));
}
