using System.Text.Json;
using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.TextVae;
using FlowTok.Model.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Parity;

/// <summary>
/// One reference fixture set: every module is built from its <c>config.json</c> (never from sizes written here),
/// loaded from the reference weight files, and compared with <c>cases.safetensors</c>.
/// </summary>
internal sealed class ParitySet
{
    public const double Tolerance = 1e-4;

    public JsonElement Config { get; }
    public IReadOnlyDictionary<string, Tensor> Cases { get; }

    public ParitySet()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ParityFixtures.PathOf("config.json")));
        Config = doc.RootElement.Clone();
        // Shared by all tests: detach from whichever test's dispose scope happens to be open when first used.
        Cases = StateDict.Read(ParityFixtures.PathOf("cases.safetensors"))
            .ToDictionary(kv => kv.Key, kv => kv.Value.DetachFromDisposeScope());
    }

    private JsonElement Sizes => Config.GetProperty("config");
    private int Size(string key) => Sizes.GetProperty(key).GetInt32();
    private int Channels => (int)Cases["dit.x"].shape[2];

    public int Steps => Size("steps");
    public double Guidance => Sizes.GetProperty("cfg").GetDouble();

    public ClipTextConfig ClipConfig => new()
    {
        VocabSize = Config.GetProperty("clip_vocab").GetInt32(),
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
        LatentChannels = Channels,
    };

    public FlowTransformerConfig FlowConfig => new()
    {
        Hidden = Size("dit_h"),
        Depth = Size("dit_depth"),
        Heads = Size("dit_heads"),
        Channels = Channels,
    };

    public ImageTokenizerConfig TokenizerConfig => new()
    {
        ImageSize = Size("img"),
        PatchSize = Size("patch"),
        TokenSize = Channels,
        Encoder = VitSize.Named(Sizes.GetProperty("enc").GetString()!),
        Decoder = VitSize.Named(Sizes.GetProperty("dec").GetString()!),
        TextEmbedDim = Size("clip_w"),
        ScaleFactor = double.Parse(Config.TryGetProperty("scale_factor", out var s) ? s.GetRawText() : "1.0143", System.Globalization.CultureInfo.InvariantCulture),
    };

    public ClipTextTransformer Clip(string file)
    {
        var model = new ClipTextTransformer(ClipConfig);
        StateDict.LoadInto(model, ClipTextNames.ToOpenAi(StateDict.Read(ParityFixtures.PathOf(file)), keepProjection: false));
        model.eval();
        return model;
    }

    public TextVae.TextVae TextVae(string file)
    {
        var model = new TextVae.TextVae(TextVaeConfig);
        StateDict.LoadInto(model, FlowTokCheckpoint.TextVaePart(StateDict.Read(ParityFixtures.PathOf(file))));
        model.eval();
        return model;
    }

    public FlowTransformer Flow(string file)
    {
        var model = new FlowTransformer(FlowConfig);
        StateDict.LoadInto(model, FlowTokCheckpoint.FlowPart(StateDict.Read(ParityFixtures.PathOf(file))));
        model.eval();
        return model;
    }

    public FlowTiTok Tokenizer(string file)
    {
        var model = new FlowTiTok(TokenizerConfig);
        StateDict.LoadInto(model, StateDict.Read(ParityFixtures.PathOf(file)));
        model.eval();
        return model;
    }

    /// <summary>A model directory over the reference weights (referenced in place, not copied).</summary>
    public ModelDirectory WriteModelDirectory(string root, FlowTransformerConfig? flowConfig = null) =>
        new ModelDirectoryBuilder(root)
            .Tokenizer(SharedFiles.ClipMerges)
            .Component(ModelIndex.Roles.TextEncoder, ClipConfig, ParityFixtures.PathOf("clip_text.hf.safetensors"))
            .Component(ModelIndex.Roles.TextVae, TextVaeConfig, ParityFixtures.PathOf("flowtok.pth"))
            .Component(ModelIndex.Roles.Flow, flowConfig ?? FlowConfig, ParityFixtures.PathOf("flowtok.pth"))
            .Component(ModelIndex.Roles.ImageTokenizer, TokenizerConfig, ParityFixtures.PathOf("flowtitok.safetensors"))
            .Defaults(Steps, Guidance)
            .Write("reference-parity");

    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(diff <= tolerance, $"{what}: max |diff| = {diff:g3} > {tolerance:g3}");
    }
}
