using System.Globalization;
using System.Text.Json;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.Text;

namespace FlowTok.TestSupport;

/// <summary>
/// The reference fixture set as configs and model directories. Every size comes from the fixtures' <c>config.json</c>
/// (other fixture sets of other sizes exist), never from numbers written in a test.
/// </summary>
public sealed class ReferenceModel
{
    private readonly JsonElement sizes;

    public ReferenceModel()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ReferenceFixtures.PathOf("config.json")));
        var root = doc.RootElement;
        sizes = root.GetProperty("config").Clone();
        ClipVocab = root.GetProperty("clip_vocab").GetInt32();
        Prompts = root.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        ScaleFactor = root.TryGetProperty("scale_factor", out var s) ? s.GetDouble() : new ImageTokenizerConfig().ScaleFactor;
        TokenChannels = root.TryGetProperty("channels", out var c) ? c.GetInt32() : new FlowTransformerConfig().Channels;
    }

    public int ClipVocab { get; }
    public string[] Prompts { get; }
    public double ScaleFactor { get; }
    /// <summary>Channels of a FlowTok token (text VAE latents, flow tokens, image tokenizer tokens).</summary>
    public int TokenChannels { get; }
    public int Steps => Size("steps");
    public double Guidance => sizes.GetProperty("cfg").GetDouble();
    public int ImageSize => Size("img");
    public int Size(string key) => sizes.GetProperty(key).GetInt32();
    public string SizeText(string key) => Size(key).ToString(CultureInfo.InvariantCulture);

    public ClipTextConfig ClipConfig => new()
    {
        VocabSize = ClipVocab,
        Width = Size("clip_w"),
        Heads = Size("clip_heads"),
        Layers = Size("clip_layers"),
        ProjectionDim = null,
    };

    public TextVaeConfig TextVaeConfig => new()
    {
        Width = Size("clip_w"),
        Blocks = Size("tv_blocks"),
        Heads = Size("tv_heads"),
        FeedForward = Size("tv_ff"),
        LatentChannels = TokenChannels,
    };

    public FlowTransformerConfig FlowConfig => new()
    {
        Hidden = Size("dit_h"),
        Depth = Size("dit_depth"),
        Heads = Size("dit_heads"),
        Channels = TokenChannels,
    };

    public ImageTokenizerConfig TokenizerConfig => new()
    {
        ImageSize = ImageSize,
        PatchSize = Size("patch"),
        TokenSize = TokenChannels,
        Encoder = VitSize.Named(sizes.GetProperty("enc").GetString()!),
        Decoder = VitSize.Named(sizes.GetProperty("dec").GetString()!),
        TextEmbedDim = Size("clip_w"),
        ScaleFactor = ScaleFactor,
    };

    /// <summary>
    /// A model directory over the reference weights (referenced in place). With <paramref name="imageToText"/> it also
    /// has an image-to-text flow (the fixture flow's weights) and a small random text decoder: no image-to-text
    /// weights were published, and these exercise the path end to end.
    /// </summary>
    public ModelDirectory WriteModelDirectory(string root, FlowTransformerConfig? flowConfig = null, bool imageToText = false)
    {
        var flowTok = ReferenceFixtures.PathOf("flowtok.pth");
        var builder = new ModelDirectoryBuilder(root)
            .Tokenizer(ReferenceFixtures.ClipMerges)
            .Component(ModelIndex.Roles.TextEncoder, ClipConfig, ReferenceFixtures.PathOf("clip_text.hf.safetensors"))
            .Component(ModelIndex.Roles.TextVae, TextVaeConfig, flowTok)
            .Component(ModelIndex.Roles.Flow, flowConfig ?? FlowConfig, flowTok)
            .Component(ModelIndex.Roles.ImageTokenizer, TokenizerConfig, ReferenceFixtures.PathOf("flowtitok.safetensors"))
            .Defaults(Steps, Guidance);
        if (imageToText)
        {
            var decoderConfig = new TextDecoderConfig { Channels = TokenChannels, Width = 32, Layers = 1, Heads = 2, VocabSize = ClipVocab };
            using var decoder = new TextTokenDecoder(decoderConfig);
            builder.Component(ModelIndex.Roles.ImageToTextFlow, FlowConfig, flowTok)
                .Component(ModelIndex.Roles.TextDecoder, decoderConfig, decoder);
        }
        return builder.Write("reference-parity");
    }
}
