using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Clip;

/// <summary>
/// CLIP's text transformer with OpenAI/open_clip parameter names. FlowTok conditions on ALL 77 <c>ln_final</c>
/// states (no pooling, no projection); <see cref="EncodePooled"/> gives the usual projected EOT embedding.
/// </summary>
public sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding;
    private readonly Parameter positional_embedding;
    private readonly ClipTransformer transformer;
    private readonly LayerNorm ln_final;
    private readonly Parameter? text_projection;
    private readonly Parameter? logit_scale;

    public ClipTextConfig Config { get; }

    public ClipTextTransformer(ClipTextConfig config) : base(nameof(ClipTextTransformer))
    {
        config.Validate();
        Config = config;
        token_embedding = nn.Embedding(config.VocabSize, config.Width);
        positional_embedding = nn.Parameter(torch.empty(config.ContextLength, config.Width));
        transformer = new ClipTransformer(config);
        ln_final = nn.LayerNorm(config.Width, config.LayerNormEps);
        if (config.ProjectionDim is int projection)
        {
            text_projection = nn.Parameter(torch.empty(config.Width, projection));
            logit_scale = nn.Parameter(torch.tensor((float)Math.Log(1 / 0.07)));
        }
        using (torch.no_grad())
        {
            nn.init.normal_(token_embedding.weight!, std: 0.02);
            nn.init.normal_(positional_embedding, std: 0.01);
            if (text_projection is not null) nn.init.normal_(text_projection, std: Math.Pow(config.Width, -0.5));
        }
        RegisterComponents();
    }

    /// <summary>Token ids [B, ctx] (int64) -> all ln_final states [B, ctx, width].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        if (ids.dim() != 2 || ids.shape[1] != Config.ContextLength)
            throw new ArgumentException($"CLIP expects token ids of shape [B, {Config.ContextLength}], got [{string.Join(", ", ids.shape)}]");
        var x = token_embedding.forward(ids) + positional_embedding;
        x = transformer.forward(x);
        return ln_final.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Projected embedding at the EOT position (the highest id in each row), for CLIP scores.</summary>
    public Tensor EncodePooled(Tensor ids, Tensor states)
    {
        if (text_projection is null)
            throw new InvalidOperationException("this CLIP text transformer has no text_projection");
        using var scope = torch.NewDisposeScope();
        var eot = ids.argmax(-1);
        var pooled = states[torch.arange(states.shape[0], device: states.device), eot];
        return pooled.matmul(text_projection).MoveToOuterDisposeScope();
    }

    public Tensor LogitScale => logit_scale ?? throw new InvalidOperationException("this CLIP text transformer has no logit_scale");
}

/// <summary><c>transformer.resblocks.{i}</c>: pre-LN blocks with a causal mask.</summary>
internal sealed class ClipTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ClipResidualBlock> resblocks;

    public ClipTransformer(ClipTextConfig config) : base(nameof(ClipTransformer))
    {
        resblocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new ClipResidualBlock(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var block in resblocks) x = block.forward(x);
        return x;
    }
}

internal sealed class ClipResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly ClipAttention attn;
    private readonly LayerNorm ln_2;
    private readonly ClipMlp mlp;

    public ClipResidualBlock(ClipTextConfig config) : base(nameof(ClipResidualBlock))
    {
        ln_1 = nn.LayerNorm(config.Width, config.LayerNormEps);
        attn = new ClipAttention(config.Width, config.Heads);
        ln_2 = nn.LayerNorm(config.Width, config.LayerNormEps);
        mlp = new ClipMlp(config.Width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x));
        return (x + mlp.forward(ln_2.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>nn.MultiheadAttention's parameters (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj</c>), causal.</summary>
internal sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
    private readonly int heads;

    public ClipAttention(int width, int heads) : base(nameof(ClipAttention))
    {
        this.heads = heads;
        in_proj_weight = nn.Parameter(torch.empty(3 * width, width));
        in_proj_bias = nn.Parameter(torch.zeros(3 * width));
        out_proj = nn.Linear(width, width);
        using (torch.no_grad()) nn.init.xavier_uniform_(in_proj_weight);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias);
        var o = Attention.MultiHead(qkv, heads, causal: true);
        return out_proj.forward(o);
    }
}

internal sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;

    public ClipMlp(int width) : base(nameof(ClipMlp))
    {
        c_fc = nn.Linear(width, 4 * width);
        c_proj = nn.Linear(4 * width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => c_proj.forward(Activations.QuickGelu(c_fc.forward(x)));
}
