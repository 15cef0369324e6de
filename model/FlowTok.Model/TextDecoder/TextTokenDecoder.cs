using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.TextDecoder;

/// <summary>
/// Z_T [B, tokens, channels] -> logits [B, tokens, vocab]: a linear embedding, learned positions, pre-LN
/// bidirectional transformer blocks, a final LayerNorm and a vocabulary head.
/// </summary>
public sealed class TextTokenDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Linear token_embed;
    private readonly Parameter positional_embedding;
    private readonly ModuleList<TextDecoderBlock> blocks;
    private readonly LayerNorm ln_final;
    private readonly Linear head;

    public TextDecoderConfig Config { get; }

    public TextTokenDecoder(TextDecoderConfig config) : base(nameof(TextTokenDecoder))
    {
        config.Validate();
        Config = config;
        token_embed = nn.Linear(config.Channels, config.Width);
        positional_embedding = nn.Parameter(torch.randn(config.Tokens, config.Width) * 0.02);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new TextDecoderBlock(config)).ToArray());
        ln_final = nn.LayerNorm(config.Width);
        head = nn.Linear(config.Width, config.VocabSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor textTokens)
    {
        using var scope = torch.NewDisposeScope();
        if (textTokens.dim() != 3 || textTokens.shape[1] != Config.Tokens || textTokens.shape[2] != Config.Channels)
            throw new ArgumentException($"text decoder expects tokens [B, {Config.Tokens}, {Config.Channels}], got [{string.Join(", ", textTokens.shape)}]");
        var x = token_embed.forward(textTokens) + positional_embedding;
        foreach (var block in blocks) x = block.forward(x);
        return head.forward(ln_final.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Most likely id per position, [B, tokens] int64.</summary>
    public Tensor PredictIds(Tensor textTokens)
    {
        using var scope = torch.NewDisposeScope();
        return forward(textTokens).argmax(-1).MoveToOuterDisposeScope();
    }
}

internal sealed class TextDecoderBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly SelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    public TextDecoderBlock(TextDecoderConfig config) : base(nameof(TextDecoderBlock))
    {
        ln_1 = nn.LayerNorm(config.Width);
        attn = new SelfAttention(config.Width, config.Heads);
        ln_2 = nn.LayerNorm(config.Width);
        fc1 = nn.Linear(config.Width, config.MlpHidden);
        fc2 = nn.Linear(config.MlpHidden, config.Width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x + attn.forward(ln_1.forward(x));
        return (x + fc2.forward(Activations.GeluTanh(fc1.forward(ln_2.forward(x))))).MoveToOuterDisposeScope();
    }
}
