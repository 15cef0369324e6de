using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Clip;

/// <summary>
/// The project's small CLIP image tower: a pre-LN ViT over patches, pooled and projected into the joint text-image
/// embedding. Trained from scratch with <see cref="ClipTextTransformer"/>, so there is no reference checkpoint to
/// match; the names follow OpenAI's <c>visual.*</c> where the structure is the same.
/// </summary>
/// <remarks>
/// State dict: <c>conv1.weight</c> [W, C, P, P] (no bias), <c>class_embedding</c> [W] (class-token pooling only),
/// <c>positional_embedding</c> [tokens, W], <c>ln_pre.*</c>,
/// <c>transformer.resblocks.{i}.{ln_1, attn.qkv, attn.proj, ln_2, mlp.c_fc, mlp.c_proj}.*</c>, <c>ln_post.*</c>,
/// <c>proj</c> [W, projection].
/// </remarks>
public sealed class ClipImageEncoder : nn.Module<Tensor, Tensor>
{
    private readonly BlockedConv2d conv1;
    private readonly Parameter? class_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ClipImageTransformer transformer;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;

    public ClipImageConfig Config { get; }

    public ClipImageEncoder(ClipImageConfig config) : base(nameof(ClipImageEncoder))
    {
        config.Validate();
        Config = config;
        int tokens = config.Patches + (config.Pooling == ClipImagePooling.ClassToken ? 1 : 0);
        conv1 = new BlockedConv2d(config.Channels, config.Width, config.PatchSize, stride: config.PatchSize, bias: false);
        if (config.Pooling == ClipImagePooling.ClassToken)
            class_embedding = nn.Parameter(torch.empty(config.Width));
        positional_embedding = nn.Parameter(torch.empty(tokens, config.Width));
        ln_pre = nn.LayerNorm(config.Width, config.LayerNormEps);
        transformer = new ClipImageTransformer(config);
        ln_post = nn.LayerNorm(config.Width, config.LayerNormEps);
        proj = nn.Parameter(torch.empty(config.Width, config.ProjectionDim));
        using (torch.no_grad())
        {
            // OpenAI's initialisation: width^-1/2 keeps the embeddings and the projection at unit scale.
            double scale = Math.Pow(config.Width, -0.5);
            if (class_embedding is not null) nn.init.normal_(class_embedding, std: scale);
            nn.init.normal_(positional_embedding, std: scale);
            nn.init.normal_(proj, std: scale);
        }
        RegisterComponents();
    }

    /// <summary>RGB images [B, C, size, size] with values in [0, 1] -> image embeddings [B, projection] (not normalised).</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        if (images.dim() != 4 || images.shape[1] != Config.Channels || images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
            throw new ArgumentException(
                $"CLIP image encoder expects images of shape [B, {Config.Channels}, {Config.ImageSize}, {Config.ImageSize}], got [{string.Join(", ", images.shape)}]");

        // [0, 1] -> [-1, 1]: centred inputs without dataset statistics (the project's images are synthetic).
        var x = conv1.forward(images * 2 - 1);                 // [B, W, g, g]
        x = x.flatten(2).transpose(1, 2);                       // [B, patches, W]
        long b = x.shape[0];
        if (class_embedding is not null)
            x = torch.cat([class_embedding.to(x.dtype).expand(b, 1, Config.Width), x], dim: 1);
        x = ln_pre.forward(x + positional_embedding);
        x = transformer.forward(x);
        var pooled = class_embedding is not null ? x[.., 0] : x.mean([1]);
        return ln_post.forward(pooled).matmul(proj).MoveToOuterDisposeScope();
    }
}

/// <summary><c>transformer.resblocks.{i}</c>: pre-LN blocks, full (non-causal) attention over the image tokens.</summary>
internal sealed class ClipImageTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ClipImageBlock> resblocks;

    public ClipImageTransformer(ClipImageConfig config) : base(nameof(ClipImageTransformer))
    {
        resblocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new ClipImageBlock(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var block in resblocks) x = block.forward(x);
        return x;
    }
}

internal sealed class ClipImageBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly SelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly ClipMlp mlp;

    public ClipImageBlock(ClipImageConfig config) : base(nameof(ClipImageBlock))
    {
        ln_1 = nn.LayerNorm(config.Width, config.LayerNormEps);
        attn = new SelfAttention(config.Width, config.Heads);
        ln_2 = nn.LayerNorm(config.Width, config.LayerNormEps);
        mlp = new ClipMlp(config.Width); // CLIP's QuickGELU MLP, shared with the text tower
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x));
        return (x + mlp.forward(ln_2.forward(x))).MoveToOuterDisposeScope();
    }
}
