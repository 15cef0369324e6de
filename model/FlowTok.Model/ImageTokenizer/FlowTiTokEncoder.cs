using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>
/// Image [B, 3, S, S] in [0, 1] -> posterior parameters [B, 2*tokenSize, 1, latentTokens] (mean | logvar).
/// Sequence: [patch tokens (grid^2), latent tokens]; RoPE on the patches, learned positions on the latents.
/// With <see cref="ImageTokenizerConfig.GridAlignedLatents"/>, each latent also starts from its grid cell's mean patch.
/// </summary>
public sealed class FlowTiTokEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BlockedConv2d patch_embed;
    private readonly Parameter latent_token_positional_embedding;
    private readonly Rope2D positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ModuleList<RopeBlock> transformer;
    private readonly LayerNorm ln_post;
    private readonly BlockedConv2d conv_out;
    private readonly ImageTokenizerConfig config;

    public FlowTiTokEncoder(ImageTokenizerConfig config) : base(nameof(FlowTiTokEncoder))
    {
        this.config = config;
        var size = config.Encoder;
        patch_embed = new BlockedConv2d(3, size.Width, config.PatchSize, stride: config.PatchSize);
        latent_token_positional_embedding = nn.Parameter(torch.randn(config.LatentTokens, size.Width) * Math.Pow(size.Width, -0.5));
        positional_embedding = new Rope2D(config.Grid, size.HeadDim, config.RopeTheta);
        ln_pre = nn.LayerNorm(size.Width, config.LayerNormEps);
        transformer = nn.ModuleList(Enumerable.Range(0, size.Layers).Select(_ => new RopeBlock(size, config.LayerNormEps)).ToArray());
        ln_post = nn.LayerNorm(size.Width, config.LayerNormEps);
        conv_out = new BlockedConv2d(size.Width, 2 * config.TokenSize, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels, Tensor latentTokens)
    {
        using var scope = torch.NewDisposeScope();
        long b = pixels.shape[0];
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != config.ImageSize || pixels.shape[3] != config.ImageSize)
            throw new ArgumentException($"image tokenizer expects images [B, 3, {config.ImageSize}, {config.ImageSize}], got [{string.Join(", ", pixels.shape)}]");
        var patches = patch_embed.forward(pixels).flatten(2).transpose(1, 2); // [B, grid^2, W], row-major
        var latents = (latentTokens + latent_token_positional_embedding).unsqueeze(0).expand(b, -1, -1).to(patches.dtype);
        if (config.GridAlignedLatents)
        {
            // Each latent token starts from the mean patch embedding of its cell of the latent grid.
            var grid = patches.transpose(1, 2).reshape(b, -1, config.Grid, config.Grid);
            var cells = nn.functional.adaptive_avg_pool2d(grid, [config.LatentRows, config.LatentColumns]);
            latents = latents + cells.flatten(2).transpose(1, 2);
        }
        var x = ln_pre.forward(torch.cat([patches, latents], 1));
        foreach (var block in transformer) x = block.forward(x, positional_embedding);
        x = ln_post.forward(x[.., (int)patches.shape[1]..]);          // [B, latentTokens, W]
        var z = conv_out.forward(x.transpose(1, 2).unsqueeze(-1));     // [B, 2*tokenSize, latentTokens, 1]
        return z.reshape(b, 2 * config.TokenSize, 1, config.LatentTokens).MoveToOuterDisposeScope();
    }
}
