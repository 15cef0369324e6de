using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Stage 3: the text VAE and the flow transformer learn to flow from text tokens Z_T (sampled from the text VAE) to
/// image tokens Z_I (the frozen tokenizer's posterior samples, scaled): flow matching with logit-normal time (a quarter
/// of the samples uniform, see <see cref="FlowTokObjectives.LogitNormalTime(long, Generator, double, Device?)"/>) and 10%
/// CFG-indicator samples, plus the contrastive alignment of Z_T and the text VAE's KL.
/// </summary>
public sealed class TextToImageStage(
    TextVae.TextVae textVae, FlowTransformer flow, FlowTiTok imageTokenizer, FrozenTextEncoder text, ICaptionedImages data, int batchSize,
    double contrastiveWeight = 1.0, double uniformTimeShare = 0.25)
{
    public StepResult Step(int step, Generator generator)
    {
        var (images, captions) = data.Batch((long)step * batchSize, batchSize);
        var states = text.States(captions);
        Tensor x1;
        using (torch.no_grad())
            x1 = imageTokenizer.EncodeFlowTokens(images, sample: true, generator);

        var (mu, logVar) = textVae.forward(states);
        var eps = torch.randn(mu.shape, generator: generator);
        var zText = TextVae.TextVae.Reparameterize(mu, logVar, eps);

        var (indicator, targets) = FlowTokObjectives.NullIndicator(x1, generator);
        var t = FlowTokObjectives.LogitNormalTime(mu.shape[0], generator, uniformTimeShare);
        var flowLoss = FlowTokObjectives.FlowMatching(flow, zText, targets, t, indicator).mean();
        var contrastive = FlowTokObjectives.ContrastiveAlignment(zText, textVae.Project(states), textVae.Temperature);
        var kl = FlowTokObjectives.TextVaeKl(mu, logVar) / mu.shape[0];
        var loss = flowLoss + contrastiveWeight * contrastive + FlowTokObjectives.KlWeight * kl;
        return new StepResult(loss, new Dictionary<string, Tensor> { ["flow"] = flowLoss.detach(), ["align"] = contrastive.detach(), ["kl"] = kl.detach() });
    }
}
