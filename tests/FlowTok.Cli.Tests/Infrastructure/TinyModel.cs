using System.Text.Json;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.TextVae;

namespace FlowTok.Cli.Tests.Infrastructure;

/// <summary>
/// Model directories made from the parity fixtures: <c>model_index.json</c>, one folder per component with its
/// <c>config.json</c>, weights named by absolute path. Every size comes from the fixtures' <c>config.json</c>.
/// </summary>
internal sealed class TinyModel
{
    /// <summary>Channels of a FlowTok token (text VAE latents, flow tokens, image tokenizer tokens).</summary>
    private const int TokenChannels = 16;

    private readonly JsonElement sizes;
    private readonly int clipVocab;

    public TinyModel()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ParityFixtures.PathOf("config.json")));
        sizes = doc.RootElement.GetProperty("config").Clone();
        clipVocab = doc.RootElement.GetProperty("clip_vocab").GetInt32();
        Prompts = doc.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
    }

    public string[] Prompts { get; }
    public int ImageSize => Size("img");
    public int Steps => Size("steps");

    public FlowTransformerConfig FlowConfig => new()
    {
        Hidden = Size("dit_h"),
        Depth = Size("dit_depth"),
        Heads = Size("dit_heads"),
        Channels = TokenChannels,
    };

    /// <summary>Writes a text-to-image model into <paramref name="root"/>; with <paramref name="imageToText"/> also
    /// an image-to-text flow (the fixture flow's weights) and a small random text decoder.</summary>
    public string Create(string root, bool imageToText = false, FlowTransformerConfig? flow = null)
    {
        var flowTok = ParityFixtures.PathOf("flowtok.pth");
        var components = new Dictionary<string, ComponentEntry>
        {
            [ModelIndex.Roles.Tokenizer] = new() { Path = "tokenizer" },
            [ModelIndex.Roles.TextEncoder] = new() { Path = "text_encoder", Weights = ParityFixtures.PathOf("clip_text.openai.safetensors") },
            [ModelIndex.Roles.TextVae] = new() { Path = "text_vae", Weights = flowTok },
            [ModelIndex.Roles.Flow] = new() { Path = "flow", Weights = flowTok },
            [ModelIndex.Roles.ImageTokenizer] = new() { Path = "image_tokenizer", Weights = ParityFixtures.PathOf("flowtitok.safetensors") },
        };
        Directory.CreateDirectory(Path.Combine(root, "tokenizer"));
        File.Copy(ParityFixtures.ClipMerges, Path.Combine(root, "tokenizer", Path.GetFileName(ParityFixtures.ClipMerges)));
        Save(root, "text_encoder", new ClipTextConfig
        {
            VocabSize = clipVocab,
            Width = Size("clip_w"),
            Heads = Size("clip_heads"),
            Layers = Size("clip_layers"),
            ProjectionDim = null,
        });
        Save(root, "text_vae", new TextVaeConfig
        {
            Width = Size("clip_w"),
            Blocks = Size("tv_blocks"),
            Heads = Size("tv_heads"),
            FeedForward = Size("tv_ff"),
            LatentChannels = TokenChannels,
        });
        Save(root, "flow", flow ?? FlowConfig);
        Save(root, "image_tokenizer", new ImageTokenizerConfig
        {
            ImageSize = ImageSize,
            PatchSize = Size("patch"),
            TokenSize = TokenChannels,
            Encoder = VitSize.Named(sizes.GetProperty("enc").GetString()!),
            Decoder = VitSize.Named(sizes.GetProperty("dec").GetString()!),
            TextEmbedDim = Size("clip_w"),
        });

        if (imageToText)
        {
            components[ModelIndex.Roles.ImageToTextFlow] = new() { Path = "i2t_flow", Weights = flowTok };
            components[ModelIndex.Roles.TextDecoder] = new() { Path = "text_decoder" };
            Save(root, "i2t_flow", FlowConfig);
            // No text decoder weights were published; a small random one exercises the command end to end.
            var decoderConfig = new TextDecoderConfig { Channels = TokenChannels, Width = 32, Layers = 1, Heads = 2, VocabSize = clipVocab };
            using var decoder = new TextTokenDecoder(decoderConfig);
            ModelDirectory.SaveComponent(Path.Combine(root, "text_decoder"), decoderConfig, decoder);
        }

        ComponentConfig.Save(new ModelIndex
        {
            Name = "parity-tiny",
            Components = components,
            Defaults = new ModelIndex.DefaultSettings { Steps = Steps, GuidanceScale = sizes.GetProperty("cfg").GetDouble() },
        }, Path.Combine(root, ModelIndex.FileName));
        return root;
    }

    private int Size(string key) => sizes.GetProperty(key).GetInt32();

    private static void Save<T>(string root, string folder, T config) =>
        ComponentConfig.Save(config, Path.Combine(root, folder, ModelDirectory.ConfigFileName));
}
