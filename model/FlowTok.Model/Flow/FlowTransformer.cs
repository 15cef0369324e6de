using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Flow;

/// <summary>
/// FlowTok's velocity model: a DiT over 1D tokens [B, tokens, channels] with adaLN-Zero blocks, conditioned on the
/// flow time t in [0, 1] and the CFG indicator y (0 conditional, 1 null). The text enters only through the
/// starting point of the flow, so the null pass differs from the conditional one by y alone.
/// </summary>
public sealed class FlowTransformer : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Parameter pos_embed;
    private readonly Linear x_embedder;
    private readonly TimestepEmbedder t_embedder;
    private readonly IndicatorEmbedder y_embedder;
    private readonly ModuleList<DiTBlock> blocks;
    private readonly FinalLayer final_layer;

    public FlowTransformerConfig Config { get; }

    public FlowTransformer(FlowTransformerConfig config) : base(nameof(FlowTransformer))
    {
        config.Validate();
        Config = config;
        // Fixed (not learned) but saved in the checkpoint, so it is a frozen parameter like the reference's.
        pos_embed = nn.Parameter(SinCos.PositionTable(config.Tokens, config.Hidden).unsqueeze(0), requires_grad: false);
        x_embedder = nn.Linear(config.Channels, config.Hidden);
        t_embedder = new TimestepEmbedder(config.Hidden, config.FrequencyEmbeddingSize);
        y_embedder = new IndicatorEmbedder(config.IndicatorClasses, config.Hidden);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(_ => new DiTBlock(config)).ToArray());
        final_layer = new FinalLayer(config.Hidden, config.Channels);
        RegisterComponents();
        InitializeWeights();
    }

    /// <summary>x [B, tokens, C], t [B] in [0, 1], y [B] int64 (0 cond, 1 null) -> velocity [B, tokens, C].</summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        if (x.dim() != 3 || x.shape[1] != Config.Tokens || x.shape[2] != Config.Channels)
            throw new ArgumentException($"flow transformer expects tokens [B, {Config.Tokens}, {Config.Channels}], got [{string.Join(", ", x.shape)}]");
        var h = x_embedder.forward(x) + pos_embed;
        var c = t_embedder.forward(t.to(h.dtype)).to(h.dtype) + y_embedder.forward(y);
        foreach (var block in blocks) h = block.forward(h, c);
        return final_layer.forward(h, c).MoveToOuterDisposeScope();
    }

    /// <summary>DiT initialisation (xavier linears, zero adaLN-Zero outputs) for training from scratch.</summary>
    private void InitializeWeights()
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name == "pos_embed") continue;
            if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(p);
            else if (name.StartsWith("t_embedder.", StringComparison.Ordinal) || name.StartsWith("y_embedder.", StringComparison.Ordinal)) nn.init.normal_(p, std: 0.02);
            else if (p.dim() == 2) nn.init.xavier_uniform_(p);
        }
        foreach (var (name, p) in named_parameters())
            if (name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal))
                nn.init.zeros_(p);
    }
}

/// <summary>t -> sinusoidal features -> MLP (<c>mlp.0</c>, SiLU, <c>mlp.2</c>).</summary>
internal sealed class TimestepEmbedder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential mlp;
    private readonly int frequencySize;

    public TimestepEmbedder(int hidden, int frequencySize) : base(nameof(TimestepEmbedder))
    {
        this.frequencySize = frequencySize;
        mlp = nn.Sequential(nn.Linear(frequencySize, hidden), nn.SiLU(), nn.Linear(hidden, hidden));
        RegisterComponents();
    }

    public override Tensor forward(Tensor t)
    {
        var weightType = mlp.parameters().First().dtype;
        return mlp.forward(SinCos.Timestep(t, frequencySize).to(weightType));
    }
}

/// <summary>The CFG indicator table <c>embedding_table</c>: row 0 conditional, row 1 null.</summary>
internal sealed class IndicatorEmbedder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding_table;

    public IndicatorEmbedder(int classes, int hidden) : base(nameof(IndicatorEmbedder))
    {
        embedding_table = nn.Embedding(classes, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor y) => embedding_table.forward(y);
}

/// <summary>adaLN-Zero block: modulation chunks shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp.</summary>
internal sealed class DiTBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly SelfAttention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly Sequential adaLN_modulation;

    public DiTBlock(FlowTransformerConfig config) : base(nameof(DiTBlock))
    {
        norm1 = nn.LayerNorm(config.Hidden, 1e-6, elementwise_affine: false);
        attn = new SelfAttention(config.Hidden, config.Heads);
        norm2 = nn.LayerNorm(config.Hidden, 1e-6, elementwise_affine: false);
        mlp = new Mlp(config.Hidden, config.MlpHidden);
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(config.Hidden, 6 * config.Hidden));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = torch.NewDisposeScope();
        var m = adaLN_modulation.forward(c).unsqueeze(1).chunk(6, -1);
        x = x + m[2] * attn.forward(Modulate(norm1.forward(x), m[0], m[1]));
        return (x + m[5] * mlp.forward(Modulate(norm2.forward(x), m[3], m[4]))).MoveToOuterDisposeScope();
    }

    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x * (scale + 1) + shift;
}

internal sealed class FinalLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm_final;
    private readonly Linear linear;
    private readonly Sequential adaLN_modulation;

    public FinalLayer(int hidden, int channels) : base(nameof(FinalLayer))
    {
        norm_final = nn.LayerNorm(hidden, 1e-6, elementwise_affine: false);
        linear = nn.Linear(hidden, channels);
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor c)
    {
        var m = adaLN_modulation.forward(c).unsqueeze(1).chunk(2, -1);
        return linear.forward(DiTBlock.Modulate(norm_final.forward(x), m[0], m[1]));
    }
}

/// <summary>timm Mlp: <c>fc1</c>, GELU (tanh approximation), <c>fc2</c>.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public Mlp(int width, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(width, hidden);
        fc2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(Activations.GeluTanh(fc1.forward(x)));
}
