using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Text;

/// <summary>
/// <c>context_encoder</c>: post-norm transformer layers over all CLIP states, then a per-token Linear to
/// mu | logvar. No positional encoding (CLIP states carry position), no mask.
/// </summary>
public sealed class TextVaeEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<TextVaeLayer> layers;
    private readonly Linear linear;

    public TextVaeEncoder(TextVaeConfig config) : base(nameof(TextVaeEncoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, config.Blocks).Select(_ => new TextVaeLayer(config)).ToArray());
        linear = nn.Linear(config.Width, 2 * config.LatentChannels);
        RegisterComponents();
    }

    /// <summary>CLIP states [B, L, W] -> [B, L, 2C] (mu | logvar).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var layer in layers) x = layer.forward(x);
        return linear.forward(x).MoveToOuterDisposeScope();
    }
}

internal sealed class TextVaeLayer : nn.Module<Tensor, Tensor>
{
    private readonly TextVaeAttention attn;
    private readonly TextVaeFeedForward feed_forward;
    private readonly ReferenceLayerNorm norm1;
    private readonly ReferenceLayerNorm norm2;

    public TextVaeLayer(TextVaeConfig config) : base(nameof(TextVaeLayer))
    {
        attn = new TextVaeAttention(config.Width, config.Heads);
        feed_forward = new TextVaeFeedForward(config.Width, config.FeedForward);
        norm1 = new ReferenceLayerNorm(config.Width, config.NormEps);
        norm2 = new ReferenceLayerNorm(config.Width, config.NormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = norm1.forward(x + attn.forward(x));
        return norm2.forward(x + feed_forward.forward(x)).MoveToOuterDisposeScope();
    }
}

internal sealed class TextVaeAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear W_Q;
    private readonly Linear W_K;
    private readonly Linear W_V;
    private readonly Linear W_O;
    private readonly int heads;

    public TextVaeAttention(int width, int heads) : base(nameof(TextVaeAttention))
    {
        this.heads = heads;
        W_Q = nn.Linear(width, width);
        W_K = nn.Linear(width, width);
        W_V = nn.Linear(width, width);
        W_O = nn.Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var qkv = torch.cat([W_Q.forward(x), W_K.forward(x), W_V.forward(x)], -1);
        return W_O.forward(Attention.MultiHead(qkv, heads));
    }
}

internal sealed class TextVaeFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear ffn_1;
    private readonly Linear ffn_2;

    public TextVaeFeedForward(int width, int hidden) : base(nameof(TextVaeFeedForward))
    {
        ffn_1 = nn.Linear(width, hidden);
        ffn_2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => ffn_2.forward(nn.functional.relu(ffn_1.forward(x)));
}
