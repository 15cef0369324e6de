using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Sampling;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Pipelines;

/// <summary>
/// Text-to-image by flowing from text tokens to image tokens:
/// 1 check inputs -> 2 encode prompt (CLIP, text VAE) -> 3 prepare latents (Z_T = mu + sigma eps, seeded per image)
/// -> 4 sampling loop (Euler, guided) -> 5 decode (FlowTiTok with the CLIP states as text guidance).
/// Each step is public so it can be tested alone or fed precomputed inputs (e.g. cached prompt encodings).
/// </summary>
public sealed class TextToImagePipeline : IDisposable
{
    public const int MaxPromptCharacters = 4000;

    private readonly ClipTokenizer tokenizer;
    private readonly ClipTextTransformer textEncoder;
    private readonly TextVae textVae;
    private readonly FlowTransformer flow;
    private readonly FlowTiTok imageTokenizer;

    public TextToImagePipeline(ClipTokenizer tokenizer, ClipTextTransformer textEncoder, TextVae textVae,
        FlowTransformer flow, FlowTiTok imageTokenizer)
    {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.textVae = textVae;
        this.flow = flow;
        this.imageTokenizer = imageTokenizer;
        foreach (var m in new nn.Module[] { textEncoder, textVae, flow, imageTokenizer }) m.eval();
        CheckCompatible();
    }

    public int ImageSize => imageTokenizer.Config.ImageSize;
    public ScalarType ComputeType => flow.parameters().First().dtype;
    public Device Device => flow.parameters().First().device;
    public FlowTransformer Flow => flow;

    // 1. Check inputs.
    public static void CheckInputs(IReadOnlyList<string> prompts, GenerationOptions options)
    {
        if (prompts.Count == 0) throw new ArgumentException("at least one prompt is required", nameof(prompts));
        for (int i = 0; i < prompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(prompts[i]))
                throw new ArgumentException($"prompt {i} is empty", nameof(prompts));
            if (prompts[i].Length > MaxPromptCharacters)
                throw new ArgumentException($"prompt {i} has {prompts[i].Length} characters; at most {MaxPromptCharacters} are accepted", nameof(prompts));
        }
        options.Validate();
    }

    // 2. Encode prompt.
    public PromptEncoding EncodePrompt(IReadOnlyList<string> prompts)
    {
        using var ids = TokenIds.ToTensor(tokenizer.EncodeBatch(prompts));
        return EncodeIds(ids);
    }

    /// <summary>Encodes already tokenized prompts [B, 77].</summary>
    public PromptEncoding EncodeIds(Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var onDevice = ids.to(Device);
        var states = textEncoder.forward(onDevice);
        var (mu, logVar) = textVae.forward(states);
        return new PromptEncoding(onDevice.clone(), states, mu.to(ScalarType.Float32), logVar.to(ScalarType.Float32))
            .MoveToOuterDisposeScope();
    }

    // 3. Prepare latents.
    /// <summary>Z_T = mu + exp(logvar / 2) eps with eps drawn from one generator per image (seed i gives the same
    /// image whatever else is in the batch).</summary>
    public Tensor PrepareLatents(PromptEncoding encoding, IReadOnlyList<long> seeds, double textNoise = 1.0)
    {
        if (seeds.Count != encoding.Count)
            throw new ArgumentException($"{seeds.Count} seeds for {encoding.Count} prompts", nameof(seeds));
        using var scope = torch.NewDisposeScope();
        var shape = encoding.Mu.shape[1..];
        var eps = torch.stack(seeds.Select(seed =>
        {
            using var generator = new Generator((ulong)seed);
            return torch.randn(shape, dtype: ScalarType.Float32, generator: generator);
        }).ToArray()).to(Device);
        return PrepareLatents(encoding, eps * textNoise).MoveToOuterDisposeScope();
    }

    /// <summary>Z_T from explicit noise eps [B, 77, C] (already scaled by any text noise, see <see cref="GenerationOptions.TextNoise"/>).</summary>
    public static Tensor PrepareLatents(PromptEncoding encoding, Tensor eps) =>
        TextVae.Reparameterize(encoding.Mu, encoding.LogVar, eps.to(ScalarType.Float32));

    // 4. Sampling loop.
    /// <remarks><paramref name="keepRows"/> may drop rows between steps (see <see cref="GuidedFlow"/>).</remarks>
    public Tensor Sample(Tensor textTokens, GenerationOptions options, IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default, Func<SamplingProgress, long[]?>? keepRows = null)
    {
        options.Validate();
        return GuidedFlow.Sample(flow, textTokens, options.Steps, options.GuidanceScale, options.BatchedGuidance, progress, cancellationToken,
            options.Solver == FlowSolver.Heun ? null : keepRows, options.Solver);
    }

    // 5. Decode.
    /// <summary>Image tokens [B, 77, C] (flow space) + CLIP states -> images [B, 3, S, S] in [0, 1], float32.</summary>
    public Tensor Decode(Tensor imageTokens, Tensor clipStates)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var decoded = imageTokenizer.DecodeFlowTokens(imageTokens.to(ComputeType), clipStates.to(ComputeType));
        return decoded.to(ScalarType.Float32).clamp(0.0, 1.0).MoveToOuterDisposeScope();
    }

    /// <summary>Prompts -> images [B, 3, S, S] in [0, 1], one seed per prompt.</summary>
    public Tensor Generate(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, GenerationOptions options,
        IProgress<SamplingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckInputs(prompts, options);
        using var scope = torch.NewDisposeScope();
        using var encoding = EncodePrompt(prompts);
        var zText = PrepareLatents(encoding, seeds, options.TextNoise);
        var zImage = Sample(zText, options, progress, cancellationToken);
        return Decode(zImage, encoding.ClipStates).MoveToOuterDisposeScope();
    }

    private void CheckCompatible()
    {
        var f = flow.Config;
        if (textVae.Config.LatentChannels != f.Channels || imageTokenizer.Config.TokenSize != f.Channels)
            throw new ArgumentException($"components disagree on token channels: text VAE {textVae.Config.LatentChannels}, flow {f.Channels}, image tokenizer {imageTokenizer.Config.TokenSize}");
        if (textEncoder.Config.ContextLength != f.Tokens || imageTokenizer.Config.LatentTokens != f.Tokens)
            throw new ArgumentException($"components disagree on token count: CLIP {textEncoder.Config.ContextLength}, flow {f.Tokens}, image tokenizer {imageTokenizer.Config.LatentTokens}");
        if (textEncoder.Config.Width != textVae.Config.Width || textEncoder.Config.Width != imageTokenizer.Config.TextEmbedDim)
            throw new ArgumentException($"components disagree on CLIP width: CLIP {textEncoder.Config.Width}, text VAE {textVae.Config.Width}, image tokenizer text guidance {imageTokenizer.Config.TextEmbedDim}");
        if (tokenizer.ContextLength != textEncoder.Config.ContextLength)
            throw new ArgumentException($"tokenizer context {tokenizer.ContextLength} differs from CLIP's {textEncoder.Config.ContextLength}");
    }

    public void Dispose()
    {
        textEncoder.Dispose();
        textVae.Dispose();
        flow.Dispose();
        imageTokenizer.Dispose();
    }
}
