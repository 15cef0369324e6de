using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.TextDecoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Stage 4: image-to-text. A flow transformer of the same family learns to flow from image tokens Z_I (the frozen
/// tokenizer's posterior means, scaled) to text tokens Z_T (the frozen text VAE's means), with the same CFG indicator;
/// time is uniform (see <see cref="FlowTokObjectives.UniformTime"/>); the text decoder learns to read CLIP ids back from text tokens, on noisy samples of Z_T so it tolerates the
/// flow's errors.
/// </summary>
public sealed class ImageToTextStage(
    FlowTransformer flow, TextTokenDecoder decoder, TextVae.TextVae textVae, FlowTiTok imageTokenizer, FrozenTextEncoder text,
    ICaptionedImages data, int batchSize)
{
    public StepResult Step(int step, Generator generator)
    {
        var (images, captions) = data.Batch((long)step * batchSize, batchSize);
        var states = text.States(captions);
        var ids = text.Ids(captions);
        Tensor x0, mu, logVar;
        using (torch.no_grad())
        {
            x0 = imageTokenizer.EncodeFlowTokens(images);
            (mu, logVar) = textVae.forward(states);
        }

        var (indicator, targets) = FlowTokObjectives.NullIndicator(mu, generator);
        var t = FlowTokObjectives.UniformTime(mu.shape[0], generator);
        var flowLoss = FlowTokObjectives.FlowMatching(flow, x0, targets, t, indicator).mean();

        var noisy = TextVae.TextVae.Reparameterize(mu, logVar, torch.randn(mu.shape, generator: generator) * 0.5);
        var logits = decoder.forward(noisy);
        var decodeLoss = nn.functional.cross_entropy(logits.flatten(0, 1), ids.flatten());
        var accuracy = (logits.argmax(-1) == ids).to(ScalarType.Float32).mean();
        return new StepResult(flowLoss + decodeLoss, new Dictionary<string, Tensor> { ["flow"] = flowLoss.detach(), ["decode"] = decodeLoss.detach(), ["token_acc"] = accuracy });
    }
}
