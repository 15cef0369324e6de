using System.Text.RegularExpressions;
using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Text;

namespace FlowTok.Model.Loading;

/// <summary>
/// Reads a component's hyperparameters off its checkpoint's tensor shapes, so published files can be used without
/// hand-written configs. Head counts are not visible in shapes (except FlowTiTok's, via the RoPE tables): they
/// default to the published models' values and can be given explicitly.
/// </summary>
public static partial class ConfigInference
{
    /// <summary>CLIP text tower, OpenAI or Hugging Face names; heads default to width / 64 (CLIP's head size).</summary>
    public static ClipTextConfig Clip(CheckpointInfo info, int? heads = null)
    {
        var s = Shapes(info);
        bool hf = ClipTextNames.Detect(s.Keys) == ClipTextNames.Naming.HuggingFace;
        var embedding = Require(s, hf ? "text_model.embeddings.token_embedding.weight" : "token_embedding.weight", info);
        var positions = Require(s, hf ? "text_model.embeddings.position_embedding.weight" : "positional_embedding", info);
        int width = (int)embedding[1];
        int? projection = s.TryGetValue(hf ? "text_projection.weight" : "text_projection", out var p) ? (int)(hf ? p[0] : p[1]) : null;
        return new ClipTextConfig
        {
            VocabSize = (int)embedding[0],
            ContextLength = (int)positions[0],
            Width = width,
            Layers = CountIndexed(s.Keys, hf ? ClipHfLayer() : ClipLayer()),
            Heads = heads ?? Math.Max(1, width / 64),
            ProjectionDim = projection,
        };
    }

    /// <summary>FlowTok's text VAE (keys <c>context_encoder.*</c>); heads default to the published 8.</summary>
    public static TextVaeConfig TextVae(CheckpointInfo info, int? heads = null)
    {
        var s = Shapes(info);
        var q = Require(s, "context_encoder.layers.0.attn.W_Q.weight", info);
        return new TextVaeConfig
        {
            Width = (int)q[1],
            Blocks = CountIndexed(s.Keys, VaeLayer()),
            Heads = heads ?? 8,
            FeedForward = (int)Require(s, "context_encoder.layers.0.feed_forward.ffn_1.weight", info)[0],
            LatentChannels = (int)Require(s, "context_encoder.linear.weight", info)[0] / 2,
            ProjectorHidden = (int)Require(s, "context_projector.0.weight", info)[0],
            LearnedTemperature = s.ContainsKey("t2t_temperature"),
        };
    }

    /// <summary>The flow transformer at a checkpoint's root; heads default to the published size with that width.</summary>
    public static FlowTransformerConfig Flow(CheckpointInfo info, int? heads = null)
    {
        var s = Shapes(info);
        var x = Require(s, "x_embedder.weight", info);
        int hidden = (int)x[0];
        return new FlowTransformerConfig
        {
            Hidden = hidden,
            Channels = (int)x[1],
            Depth = CountIndexed(s.Keys, FlowBlock()),
            Heads = heads ?? hidden switch { 384 => 6, 768 => 12, 1024 => 16, 1152 => 16, 1280 => 20, _ => Math.Max(1, hidden / 64) },
            Tokens = (int)Require(s, "pos_embed", info)[1],
            MlpRatio = (double)Require(s, "blocks.0.mlp.fc1.weight", info)[0] / hidden,
            FrequencyEmbeddingSize = (int)Require(s, "t_embedder.mlp.0.weight", info)[1],
            IndicatorClasses = (int)Require(s, "y_embedder.embedding_table.weight", info)[0],
        };
    }

    /// <summary>FlowTiTok: every size, including heads and resolution, follows from the shapes.</summary>
    public static ImageTokenizerConfig ImageTokenizer(CheckpointInfo info)
    {
        var s = Shapes(info);
        var patch = Require(s, "encoder.patch_embed.weight", info);
        var encoderRope = Require(s, "encoder.positional_embedding.freqs_cos", info);
        var decoderRope = Require(s, "decoder.positional_embedding.freqs_cos", info);
        int grid = (int)Math.Round(Math.Sqrt(encoderRope[0]));
        if ((long)grid * grid != encoderRope[0])
            throw new InvalidDataException($"{info.Path}: encoder RoPE table has {encoderRope[0]} rows, not a square grid");
        int encoderWidth = (int)patch[0], decoderWidth = (int)Require(s, "decoder.mask_token", info)[2];
        return new ImageTokenizerConfig
        {
            PatchSize = (int)patch[2],
            ImageSize = grid * (int)patch[2],
            TokenSize = (int)Require(s, "encoder.conv_out.weight", info)[0] / 2,
            LatentTokens = (int)Require(s, "latent_tokens", info)[0],
            Encoder = new VitSize(encoderWidth, CountIndexed(s.Keys, EncoderBlock()), encoderWidth / (int)encoderRope[1]),
            Decoder = new VitSize(decoderWidth, CountIndexed(s.Keys, DecoderBlock()), decoderWidth / (int)decoderRope[1]),
            TextEmbedDim = (int)Require(s, "decoder.text_guidance_proj.weight", info)[1],
            TextTokens = (int)Require(s, "decoder.text_guidance_positional_embedding", info)[0],
            PixelChannels = s.TryGetValue("decoder.pixel_conv.weight", out var pixelConv) ? (int)pixelConv[0] : 0,
        };
    }

    private static Dictionary<string, long[]> Shapes(CheckpointInfo info) => info.Tensors.ToDictionary(t => t.Name, t => t.Shape);

    private static long[] Require(Dictionary<string, long[]> shapes, string key, CheckpointInfo info) =>
        shapes.TryGetValue(key, out var shape)
            ? shape
            : throw new InvalidDataException($"{info.Path} has no '{key}': it is not the expected component (looks like '{info.Component}')");

    private static int CountIndexed(IEnumerable<string> keys, Regex pattern) =>
        keys.Select(k => pattern.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Max() + 1;

    [GeneratedRegex(@"^transformer\.resblocks\.(\d+)\.")] private static partial Regex ClipLayer();
    [GeneratedRegex(@"^text_model\.encoder\.layers\.(\d+)\.")] private static partial Regex ClipHfLayer();
    [GeneratedRegex(@"^context_encoder\.layers\.(\d+)\.")] private static partial Regex VaeLayer();
    [GeneratedRegex(@"^blocks\.(\d+)\.")] private static partial Regex FlowBlock();
    [GeneratedRegex(@"^encoder\.transformer\.(\d+)\.")] private static partial Regex EncoderBlock();
    [GeneratedRegex(@"^decoder\.transformer\.(\d+)\.")] private static partial Regex DecoderBlock();
}
