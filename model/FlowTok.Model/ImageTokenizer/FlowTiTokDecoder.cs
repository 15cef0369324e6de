using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.ImageTokenizer;

/// <summary>
/// Tokens [B, tokenSize, 1, latentTokens] + text guidance [B, textTokens, textDim] -> RGB [B, 3, S, S] in ~[0, 1].
/// Sequence: [mask tokens (grid^2), latent tokens, text tokens]; the patch positions are read out and a 1x1 conv
/// pixel head writes each patch's pixels directly, followed by a 3x3 conv. With <see cref="ImageTokenizerConfig.PixelChannels"/>
/// set (not in the published checkpoints), the head writes that many feature channels per pixel and a residual 3x3 conv
/// mixes them across patch borders before the output conv: cheap, and it draws sharp edges much sooner in training.
/// With <see cref="ImageTokenizerConfig.GridAlignedLatents"/>, each mask token also starts from its grid cell's latent.
/// </summary>
public sealed class FlowTiTokDecoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter mask_token;
    private readonly Parameter latent_token_positional_embedding;
    private readonly Parameter text_guidance_positional_embedding;
    private readonly Linear decoder_embed;
    private readonly Linear text_guidance_proj;
    private readonly Rope2D positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ModuleList<RopeBlock> transformer;
    private readonly LayerNorm ln_post;
    private readonly Sequential ffn;
    private readonly BlockedConv2d conv_out;
    private readonly BlockedConv2d? pixel_conv;
    private readonly ImageTokenizerConfig config;
    /// <summary>Channels per pixel the head writes: the refiner's features, or RGB in the published layout.</summary>
    private readonly int pixelChannels;

    public FlowTiTokDecoder(ImageTokenizerConfig config) : base(nameof(FlowTiTokDecoder))
    {
        this.config = config;
        var size = config.Decoder;
        double scale = Math.Pow(size.Width, -0.5);
        mask_token = nn.Parameter(torch.randn(1, 1, size.Width) * scale);
        latent_token_positional_embedding = nn.Parameter(torch.randn(config.LatentTokens, size.Width) * scale);
        text_guidance_positional_embedding = nn.Parameter(torch.randn(config.TextTokens, size.Width) * scale);
        decoder_embed = nn.Linear(config.TokenSize, size.Width);
        text_guidance_proj = nn.Linear(config.TextEmbedDim, size.Width);
        positional_embedding = new Rope2D(config.Grid, size.HeadDim, config.RopeTheta);
        ln_pre = nn.LayerNorm(size.Width, config.LayerNormEps);
        transformer = nn.ModuleList(Enumerable.Range(0, size.Layers).Select(_ => new RopeBlock(size, config.LayerNormEps)).ToArray());
        ln_post = nn.LayerNorm(size.Width, config.LayerNormEps);
        pixelChannels = config.PixelChannels > 0 ? config.PixelChannels : 3;
        ffn = nn.Sequential(new BlockedConv2d(size.Width, config.PatchSize * config.PatchSize * pixelChannels, 1));
        if (config.PixelChannels > 0) pixel_conv = new BlockedConv2d(pixelChannels, pixelChannels, 3, padding: 1);
        conv_out = new BlockedConv2d(pixelChannels, 3, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens, Tensor textGuidance)
    {
        using var scope = torch.NewDisposeScope();
        long b = tokens.shape[0];
        int grid = config.Grid, p = config.PatchSize, width = config.Decoder.Width;
        if (tokens.dim() != 4 || tokens.shape[1] != config.TokenSize || tokens.shape[2] != 1 || tokens.shape[3] != config.LatentTokens)
            throw new ArgumentException($"image tokenizer decoder expects tokens [B, {config.TokenSize}, 1, {config.LatentTokens}], got [{string.Join(", ", tokens.shape)}]");
        if (textGuidance.dim() != 3 || textGuidance.shape[0] != b || textGuidance.shape[1] != config.TextTokens || textGuidance.shape[2] != config.TextEmbedDim)
            throw new ArgumentException($"image tokenizer decoder expects text guidance [{b}, {config.TextTokens}, {config.TextEmbedDim}], got [{string.Join(", ", textGuidance.shape)}]");

        var latents = decoder_embed.forward(tokens.reshape(b, config.TokenSize, config.LatentTokens).transpose(1, 2))
                      + latent_token_positional_embedding;
        var masks = mask_token.expand(b, (long)grid * grid, width).to(latents.dtype);
        if (config.GridAlignedLatents)
        {
            // Each mask token starts from the latent of the grid cell its patch lies in.
            var cells = latents.transpose(1, 2).reshape(b, width, config.LatentRows, config.LatentColumns);
            var up = nn.functional.interpolate(cells, size: [grid, grid], mode: InterpolationMode.Nearest);
            masks = masks + up.flatten(2).transpose(1, 2);
        }
        var text = text_guidance_proj.forward(textGuidance) + text_guidance_positional_embedding;
        var x = ln_pre.forward(torch.cat([masks, latents, text], 1));
        foreach (var block in transformer) x = block.forward(x, positional_embedding);
        x = ln_post.forward(x[.., ..(grid * grid)]);
        x = x.transpose(1, 2).reshape(b, width, grid, grid);
        // 'b (p1 p2 c) h w -> b c (h p1) (w p2)'
        var pixels = ffn.forward(x).view(b, p, p, pixelChannels, grid, grid).permute(0, 3, 4, 1, 5, 2)
            .reshape(b, pixelChannels, grid * p, grid * p);
        if (pixel_conv is not null) pixels = pixels + nn.functional.gelu(pixel_conv.forward(pixels));
        return conv_out.forward(pixels).MoveToOuterDisposeScope();
    }
}
