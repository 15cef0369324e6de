using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Sampling;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Parity;

/// <summary>Each module, loaded from the reference's own files, reproduces the reference outputs within 1e-4.</summary>
public sealed class ReferenceParityTests
{
    private static readonly ParitySet Set = new();

    [Theory]
    [InlineData("clip_text.openai.safetensors")]
    [InlineData("clip_text.hf.safetensors")]
    public void ClipTextStatesMatchReferenceForBothNamings(string file)
    {
        using var scope = torch.NewDisposeScope();
        using var clip = Set.Clip(file);
        using var noGrad = torch.no_grad();
        ParitySet.AssertClose(Set.Cases["clip.out"], clip.forward(Set.Cases["clip.ids"]), $"clip.out from {file}");
    }

    [Theory]
    [InlineData("flowtok.safetensors")]
    [InlineData("flowtok.pth")]
    public void TextVaeAndProjectorMatchReference(string file)
    {
        using var scope = torch.NewDisposeScope();
        using var vae = Set.TextVae(file);
        using var noGrad = torch.no_grad();
        var (mu, logVar) = vae.forward(Set.Cases["textvae.in"]);
        ParitySet.AssertClose(Set.Cases["textvae.mu"], mu, "textvae.mu");
        ParitySet.AssertClose(Set.Cases["textvae.logvar"], logVar, "textvae.logvar");
        ParitySet.AssertClose(Set.Cases["projector.out"], vae.Project(Set.Cases["textvae.in"]), "projector.out");
    }

    [Theory]
    [InlineData("flowtok.safetensors")]
    [InlineData("flowtok.pth")]
    public void FlowTransformerVelocityMatchesReference(string file)
    {
        using var scope = torch.NewDisposeScope();
        using var flow = Set.Flow(file);
        using var noGrad = torch.no_grad();
        var v = flow.forward(Set.Cases["dit.x"], Set.Cases["dit.t"], Set.Cases["dit.y"]);
        ParitySet.AssertClose(Set.Cases["dit.v"], v, "dit.v");
    }

    [Theory]
    [InlineData("flowtitok.safetensors")]
    [InlineData("flowtitok.bin")]
    public void ImageTokenizerEncoderAndDecoderMatchReference(string file)
    {
        using var scope = torch.NewDisposeScope();
        using var tokenizer = Set.Tokenizer(file);
        using var noGrad = torch.no_grad();
        ParitySet.AssertClose(Set.Cases["tok.posterior"], tokenizer.EncodePosterior(Set.Cases["tok.image"]), "tok.posterior");
        ParitySet.AssertClose(Set.Cases["tok.decoded"], tokenizer.Decode(Set.Cases["tok.z"], Set.Cases["tok.text"]), "tok.decoded");
    }

    [Fact]
    public void FixedTablesBuiltFromConfigEqualTheStoredOnes()
    {
        using var scope = torch.NewDisposeScope();
        var flowFile = FlowTok.Model.Checkpoints.StateDict.Read(ReferenceFixtures.PathOf("flowtok.safetensors"));
        var config = Set.FlowConfig;
        ParitySet.AssertClose(flowFile["pos_embed"], SinCos.PositionTable(config.Tokens, config.Hidden).unsqueeze(0), "pos_embed", 1e-6);

        var tokFile = FlowTok.Model.Checkpoints.StateDict.Read(ReferenceFixtures.PathOf("flowtitok.safetensors"));
        var tok = Set.TokenizerConfig;
        foreach (var (part, size) in new[] { ("encoder", tok.Encoder), ("decoder", tok.Decoder) })
        {
            var (cos, sin) = Rope2D.Table(tok.Grid, size.HeadDim, tok.RopeTheta);
            ParitySet.AssertClose(tokFile[$"{part}.positional_embedding.freqs_cos"], cos, $"{part} RoPE cos", 1e-6);
            ParitySet.AssertClose(tokFile[$"{part}.positional_embedding.freqs_sin"], sin, $"{part} RoPE sin", 1e-6);
        }
    }
}
