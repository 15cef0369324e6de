using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Stage 3: the text VAE and the flow transformer learn to flow from text tokens Z_T (sampled from the text VAE) to
/// image tokens Z_I (the frozen tokenizer's posterior samples, scaled): flow matching with logit-normal time (a quarter
/// of the samples uniform, see <see cref="FlowTokObjectives.LogitNormalTime(long, Generator, double, Device?)"/>) and 10%
/// CFG-indicator samples, plus the contrastive alignment of Z_T and the text VAE's KL.
/// <para>
/// With <c>foregroundWeight</c> w &gt; 0 (grid-aligned image tokens only), each image token's error counts 1 + w f, f being
/// the share of its grid cell covered by the object (<see cref="ImageTokenizerStage.ForegroundMask"/>): the few tokens
/// that hold the object's shape weigh as much as the many flat background ones. Null samples stay unweighted. With
/// <c>foregroundPerObject</c>, f is scaled so that every object gets the batch's mean total (small shapes as much as large ones).
/// </para>
/// <para>With a <c>tokenCache</c>, the posterior means of the batches are left there for image-to-text. With a <c>pool</c>,
/// the batches come from it (pre-encoded images, a fresh posterior sample each time) instead of <c>data</c> and the tokenizer.</para>
/// </summary>
public sealed class TextToImageStage(
    TextVae textVae, FlowTransformer flow, FlowTiTok imageTokenizer, FrozenTextEncoder text, ICaptionedImages data, int batchSize,
    double contrastiveWeight = 1.0, double uniformTimeShare = 0.25, double foregroundWeight = 0, ImageTokenCache? tokenCache = null,
    double startTimeShare = 0, double klWeight = FlowTokObjectives.KlWeight, bool foregroundPerObject = false, ImageTokenPool? pool = null)
{
    private readonly ImageTokenizerConfig tokenizerConfig = CheckWeighting(imageTokenizer.Config, foregroundWeight, klWeight, pool);

    private static ImageTokenizerConfig CheckWeighting(ImageTokenizerConfig config, double foregroundWeight, double klWeight, ImageTokenPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(foregroundWeight);
        ArgumentOutOfRangeException.ThrowIfNegative(klWeight);
        if (foregroundWeight > 0 && (!config.GridAlignedLatents || config.LatentRows == 0))
            throw new ArgumentException("foreground-weighted flow matching needs grid-aligned image tokens (each token owns a cell of the image)", nameof(foregroundWeight));
        if (foregroundWeight > 0 && pool is { HasCells: false })
            throw new ArgumentException("foreground-weighted flow matching needs a pool that kept the token cells", nameof(pool));
        return config;
    }

    public StepResult Step(int step, Generator generator)
    {
        long first = (long)step * batchSize;
        string[] captions;
        Tensor x1;
        Tensor? cells = null;
        if (pool is not null)
        {
            var pooled = pool.Batch(first, batchSize, generator);
            (captions, x1, cells) = (pooled.Captions, pooled.Sample, pooled.Cells);
        }
        else
        {
            (var images, captions) = data.Batch(first, batchSize);
            using (torch.no_grad())
            {
                var (mean, sample) = imageTokenizer.EncodeFlowTokenPair(images, generator);
                tokenCache?.Add(first, batchSize, mean);
                x1 = sample;
            }
            if (foregroundWeight > 0) cells = ImageTokenPool.CellCoverage(images, tokenizerConfig);
        }
        var states = text.States(captions);

        var (mu, logVar) = textVae.forward(states);
        var eps = torch.randn(mu.shape, generator: generator);
        var zText = TextVae.Reparameterize(mu, logVar, eps);

        var (indicator, targets) = FlowTokObjectives.NullIndicator(x1, generator);
        var t = FlowTokObjectives.WithStartTimes(FlowTokObjectives.LogitNormalTime(mu.shape[0], generator, uniformTimeShare), generator, startTimeShare);
        using var weights = foregroundWeight > 0 ? TokenWeights(cells!, indicator) : null;
        var flowLoss = FlowTokObjectives.FlowMatching(flow, zText, targets, t, indicator, weights).mean();
        var contrastive = FlowTokObjectives.ContrastiveAlignment(zText, textVae.Project(states), textVae.Temperature);
        var kl = FlowTokObjectives.TextVaeKl(mu, logVar) / mu.shape[0];
        var loss = flowLoss + contrastiveWeight * contrastive + klWeight * kl;
        return new StepResult(loss, new Dictionary<string, Tensor> { ["flow"] = flowLoss.detach(), ["align"] = contrastive.detach(), ["kl"] = kl.detach() });
    }

    /// <summary>[B, N] weights 1 + w f from the cells' object shares f [B, N] (<see cref="ImageTokenPool.CellCoverage"/>); 1 for null samples.</summary>
    public Tensor TokenWeights(Tensor cells, Tensor indicator)
    {
        using var scope = torch.NewDisposeScope();
        if (foregroundPerObject)
        {
            var area = cells.sum(1, keepdim: true);
            cells = cells * (area.mean() / area.clamp_min(1e-6));
        }
        var conditional = (1 - indicator).to(cells.dtype).unsqueeze(1);
        return (1 + foregroundWeight * cells * conditional).MoveToOuterDisposeScope();
    }
}
