using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Sampling;
using FlowTok.Model.Text;
using FlowTok.Model.TextDecoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Pipelines;

/// <summary>
/// Image-to-text by flowing from image tokens to text tokens:
/// 1 check inputs -> 2 encode image (FlowTiTok encoder, posterior mean, scaled) -> 3 sampling loop (Euler, guided)
/// -> 4 decode text (text decoder -> CLIP ids per position -> BPE decode, cut at the first end-of-text).
/// </summary>
public sealed class ImageToTextPipeline : IDisposable
{
    private readonly ClipTokenizer tokenizer;
    private readonly FlowTiTok imageTokenizer;
    private readonly FlowTransformer flow;
    private readonly TextTokenDecoder textDecoder;

    public ImageToTextPipeline(ClipTokenizer tokenizer, FlowTiTok imageTokenizer, FlowTransformer flow, TextTokenDecoder textDecoder)
    {
        this.tokenizer = tokenizer;
        this.imageTokenizer = imageTokenizer;
        this.flow = flow;
        this.textDecoder = textDecoder;
        foreach (var m in new nn.Module[] { imageTokenizer, flow, textDecoder }) m.eval();
        if (imageTokenizer.Config.TokenSize != flow.Config.Channels || textDecoder.Config.Channels != flow.Config.Channels)
            throw new ArgumentException($"components disagree on token channels: image tokenizer {imageTokenizer.Config.TokenSize}, flow {flow.Config.Channels}, text decoder {textDecoder.Config.Channels}");
        if (textDecoder.Config.VocabSize != tokenizer.VocabSize)
            throw new ArgumentException($"text decoder predicts {textDecoder.Config.VocabSize} ids but the tokenizer has {tokenizer.VocabSize}");
    }

    public int ImageSize => imageTokenizer.Config.ImageSize;
    public ScalarType ComputeType => flow.parameters().First().dtype;
    public Device Device => flow.parameters().First().device;
    public FlowTransformer Flow => flow;

    // 1. Check inputs.
    public void CheckInputs(Tensor images, GenerationOptions options)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != ImageSize || images.shape[3] != ImageSize)
            throw new ArgumentException($"expected images [B, 3, {ImageSize}, {ImageSize}], got [{string.Join(", ", images.shape)}]");
        options.Validate();
    }

    // 2. Encode image.
    public Tensor EncodeImage(Tensor images)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return imageTokenizer.EncodeFlowTokens(images.to(Device).to(ComputeType)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    // 3. Sampling loop.
    /// <remarks><paramref name="keepRows"/> may drop rows between steps (see <see cref="GuidedFlow"/>).</remarks>
    public Tensor Sample(Tensor imageTokens, GenerationOptions options, IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default, Func<SamplingProgress, long[]?>? keepRows = null)
    {
        options.Validate();
        return GuidedFlow.Sample(flow, imageTokens, options.Steps, options.GuidanceScale, options.BatchedGuidance, progress, cancellationToken,
            options.Solver == FlowSolver.Heun ? null : keepRows, options.Solver);
    }

    // 4. Decode text.
    public long[][] PredictIds(Tensor textTokens)
    {
        using var noGrad = torch.no_grad();
        using var ids = textDecoder.PredictIds(textTokens.to(ComputeType)).cpu();
        return Enumerable.Range(0, (int)ids.shape[0]).Select(i => ids[i].data<long>().ToArray()).ToArray();
    }

    /// <summary>Ids per position -> caption: drops the start token, stops at the first end-of-text.</summary>
    public string DecodeText(IReadOnlyList<long> ids)
    {
        var text = ids.SkipWhile(id => id == tokenizer.StartOfText).TakeWhile(id => id != tokenizer.EndOfText);
        return tokenizer.Decode(text);
    }

    /// <summary>Images [B, 3, S, S] in [0, 1] -> one caption each.</summary>
    public string[] Caption(Tensor images, GenerationOptions options, IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckInputs(images, options);
        using var scope = torch.NewDisposeScope();
        var zImage = EncodeImage(images);
        var zText = Sample(zImage, options, progress, cancellationToken);
        return PredictIds(zText).Select(DecodeText).ToArray();
    }

    public void Dispose()
    {
        imageTokenizer.Dispose();
        flow.Dispose();
        textDecoder.Dispose();
    }
}
