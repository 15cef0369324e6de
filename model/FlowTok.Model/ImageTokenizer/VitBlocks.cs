using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>Pre-LN ViT block with RoPE attention on the patch tokens and a SwiGLU MLP.</summary>
internal sealed class RopeBlock : nn.Module<Tensor, Rope2D, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly SelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly SwiGlu mlp;

    public RopeBlock(VitSize size, double eps) : base(nameof(RopeBlock))
    {
        ln_1 = nn.LayerNorm(size.Width, eps);
        attn = new SelfAttention(size.Width, size.Heads);
        ln_2 = nn.LayerNorm(size.Width, eps);
        mlp = new SwiGlu(size.Width, size.SwiGluHidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Rope2D rope)
    {
        // A scope per block frees each layer's intermediates as soon as the block is done.
        using var scope = torch.NewDisposeScope();
        x = x + attn.Forward(ln_1.forward(x), rope.Apply);
        return (x + mlp.forward(ln_2.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>SwiGLU: <c>w12</c> -> (x1 | x2) -> silu(x1) * x2 -> <c>w3</c>.</summary>
internal sealed class SwiGlu : nn.Module<Tensor, Tensor>
{
    private readonly Linear w12;
    private readonly Linear w3;

    public SwiGlu(int width, int hidden) : base(nameof(SwiGlu))
    {
        w12 = nn.Linear(width, 2 * hidden);
        w3 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var parts = w12.forward(x).chunk(2, -1);
        return w3.forward(nn.functional.silu(parts[0]) * parts[1]);
    }
}
