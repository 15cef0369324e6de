using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Text;
using FlowTok.Model.TextDecoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Stage 4: image-to-text. A flow transformer of the same family learns to flow from image tokens Z_I (the frozen
/// tokenizer's posterior means, scaled) to text tokens Z_T (the frozen text VAE's means), with the same CFG indicator;
/// time is uniform (see <see cref="FlowTokObjectives.UniformTime"/>); the text decoder learns to read CLIP ids back from text tokens, on noisy samples of Z_T so it tolerates the
/// flow's errors.
/// <para>
/// With <c>captionWeight</c> &gt; 0, the flow's own estimate of the text tokens, x_t + (1 - t) v, is also decoded and scored
/// against the caption's ids (cross-entropy, conditional samples only), through both the decoder and the flow. The flow
/// loss weighs every channel of every text token alike, so the one token that names the shape barely counts; the
/// caption loss counts each word once, and teaches the decoder to read the flow's estimates as well as clean tokens.
/// </para>
/// <para>Image tokens come from <c>tokenCache</c> when text-to-image left them there (the same numbers: the same encoder on the same batch),
/// or from <c>pool</c> (its posterior means) when one is given.</para>
/// </summary>
public sealed class ImageToTextStage(
    FlowTransformer flow, TextTokenDecoder decoder, TextVae textVae, FlowTiTok imageTokenizer, FrozenTextEncoder text,
    ICaptionedImages data, int batchSize, double captionWeight = 0, ImageTokenCache? tokenCache = null, double startTimeShare = 0,
    ImageTokenPool? pool = null)
{
    public StepResult Step(int step, Generator generator)
    {
        long first = (long)step * batchSize;
        string[] captions;
        Tensor x0;
        if (pool is not null)
        {
            var pooled = pool.Batch(first, batchSize, generator);
            (captions, x0) = (pooled.Captions, pooled.Mean);
        }
        else
        {
            (var images, captions) = data.Batch(first, batchSize);
            using (torch.no_grad()) x0 = tokenCache?.Take(first, batchSize) ?? imageTokenizer.EncodeFlowTokens(images);
        }
        var states = text.States(captions);
        var ids = text.Ids(captions);
        Tensor mu, logVar;
        using (torch.no_grad()) (mu, logVar) = textVae.forward(states);

        var (indicator, targets) = FlowTokObjectives.NullIndicator(mu, generator);
        var t = FlowTokObjectives.WithStartTimes(FlowTokObjectives.UniformTime(mu.shape[0], generator), generator, startTimeShare);
        var flowLoss = FlowTokObjectives.FlowMatching(flow, x0, targets, t, indicator, out var estimate).mean();
        Tensor? captionLoss = null;
        if (captionWeight > 0)
        {
            var perToken = nn.functional.cross_entropy(decoder.forward(estimate).flatten(0, 1), ids.flatten(), reduction: nn.Reduction.None)
                .view(ids.shape[0], -1).mean([1]);
            var conditional = (1 - indicator).to(perToken.dtype);
            captionLoss = (perToken * conditional).sum() / conditional.sum().clamp_min(1);
        }

        var noisy = TextVae.Reparameterize(mu, logVar, torch.randn(mu.shape, generator: generator) * 0.5);
        var logits = decoder.forward(noisy);
        var decodeLoss = nn.functional.cross_entropy(logits.flatten(0, 1), ids.flatten());
        var accuracy = (logits.argmax(-1) == ids).to(ScalarType.Float32).mean();
        var metrics = new Dictionary<string, Tensor> { ["flow"] = flowLoss.detach(), ["decode"] = decodeLoss.detach(), ["token_acc"] = accuracy };
        var loss = flowLoss + decodeLoss;
        if (captionLoss is not null)
        {
            loss = loss + captionWeight * captionLoss;
            metrics["caption"] = captionLoss.detach();
        }
        return new StepResult(loss, metrics);
    }
}
