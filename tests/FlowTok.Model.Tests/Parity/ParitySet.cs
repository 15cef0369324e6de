using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.Text;
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

    private readonly ReferenceModel reference = new();

    public IReadOnlyDictionary<string, Tensor> Cases { get; }

    public ParitySet()
    {
        // Shared by all tests: detach from whichever test's dispose scope happens to be open when first used.
        Cases = StateDict.Read(ReferenceFixtures.PathOf("cases.safetensors"))
            .ToDictionary(kv => kv.Key, kv => kv.Value.DetachFromDisposeScope());
    }

    public int Steps => reference.Steps;
    public double Guidance => reference.Guidance;
    public ClipTextConfig ClipConfig => reference.ClipConfig;
    public TextVaeConfig TextVaeConfig => reference.TextVaeConfig;
    public FlowTransformerConfig FlowConfig => reference.FlowConfig;
    public ImageTokenizerConfig TokenizerConfig => reference.TokenizerConfig;

    public ModelDirectory WriteModelDirectory(string root, FlowTransformerConfig? flowConfig = null) =>
        reference.WriteModelDirectory(root, flowConfig);

    public ClipTextTransformer Clip(string file)
    {
        var model = new ClipTextTransformer(ClipConfig);
        StateDict.LoadInto(model, ClipTextNames.ToOpenAi(StateDict.Read(ReferenceFixtures.PathOf(file)), keepProjection: false));
        model.eval();
        return model;
    }

    public TextVae TextVae(string file)
    {
        var model = new TextVae(TextVaeConfig);
        StateDict.LoadInto(model, FlowTokCheckpoint.TextVaePart(StateDict.Read(ReferenceFixtures.PathOf(file))));
        model.eval();
        return model;
    }

    public FlowTransformer Flow(string file)
    {
        var model = new FlowTransformer(FlowConfig);
        StateDict.LoadInto(model, FlowTokCheckpoint.FlowPart(StateDict.Read(ReferenceFixtures.PathOf(file))));
        model.eval();
        return model;
    }

    public FlowTiTok Tokenizer(string file)
    {
        var model = new FlowTiTok(TokenizerConfig);
        StateDict.LoadFile(model, ReferenceFixtures.PathOf(file));
        model.eval();
        return model;
    }

    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(diff <= tolerance, $"{what}: max |diff| = {diff:g3} > {tolerance:g3}");
    }
}
