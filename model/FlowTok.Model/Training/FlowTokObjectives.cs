using FlowTok.Model.Flow;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training;

/// <summary>
/// FlowTok's training objectives (paper and reference): flow matching from source tokens x0 (t = 0) to target tokens
/// x1 (t = 1) with logit-normal time, the CFG indicator trained on mismatched pairs, the contrastive alignment of the
/// text tokens with a projection of the CLIP states, and the text VAE's KL term.
/// </summary>
public static class FlowTokObjectives
{
    /// <summary>Share of samples trained as "null" (CFG indicator 1) with a mismatched target.</summary>
    public const double NullProbability = 0.1;
    /// <summary>Weight of the text VAE's KL term.</summary>
    public const double KlWeight = 0.01;

    /// <summary>t = sigmoid(n), n ~ N(0, 1), one per sample.</summary>
    public static Tensor LogitNormalTime(long batch, Generator generator, Device? device = null) =>
        torch.sigmoid(torch.randn(batch, generator: generator)).to(device ?? CPU);

    /// <summary>
    /// Logit-normal time, except that a share <paramref name="uniformShare"/> of the samples draws t ~ U(0, 1). Logit-normal
    /// time almost never samples t near 0 (1.4% below 0.1), yet the sampler's first steps start there and decide the
    /// picture's layout; a short training run needs those times seen (see <see cref="UniformTime"/>).
    /// </summary>
    public static Tensor LogitNormalTime(long batch, Generator generator, double uniformShare, Device? device = null)
    {
        using var logitNormal = torch.sigmoid(torch.randn(batch, generator: generator));
        using var uniform = torch.rand(batch, generator: generator);
        using var pick = torch.rand(batch, generator: generator) < uniformShare;
        return torch.where(pick, uniform, logitNormal).to(device ?? CPU);
    }

    /// <summary>
    /// t ~ U(0, 1), one per sample. For a flow whose source is deterministic (image tokens -> text tokens) the model
    /// must see t near 0, where x_t holds nothing of the target yet: logit-normal time almost never samples there, and
    /// the model then learns to read the target out of x_t instead of computing it, which fails at t = 0 in sampling.
    /// </summary>
    public static Tensor UniformTime(long batch, Generator generator, Device? device = null) =>
        torch.rand(batch, generator: generator).to(device ?? CPU);

    /// <summary>
    /// <paramref name="t"/> with a share <paramref name="share"/> of the samples moved to t = 0, where x_t is the source alone and the
    /// flow's one-step estimate x_0 + v is its whole answer: the first sampling step, which decides most of the result, is
    /// then trained on every batch rather than on the few draws that land near 0.
    /// </summary>
    public static Tensor WithStartTimes(Tensor t, Generator generator, double share)
    {
        if (!(share is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "the share of samples at t = 0 must be in [0, 1]");
        if (share == 0) return t;
        using var pick = torch.rand(t.shape[0], generator: generator) < share;
        using var zero = torch.zeros_like(t);
        return torch.where(pick.to(t.device), zero, t);
    }

    /// <summary>
    /// CFG indicator per sample (1 = null, with probability <paramref name="probability"/>) and the targets to use:
    /// the null samples' targets are cyclically shifted among themselves (each gets the next null sample's), so the
    /// null branch learns a flow that ignores the pairing. With at most one null sample there is nothing to shift
    /// and none is used, like the reference.
    /// </summary>
    public static (Tensor Indicator, Tensor Targets) NullIndicator(Tensor targets, Generator generator, double probability = NullProbability)
    {
        long b = targets.shape[0];
        using var draw = torch.rand(b, generator: generator);
        var nulls = Enumerable.Range(0, (int)b).Where(i => draw[i].item<float>() < probability).ToArray();
        var indicator = torch.zeros(b, dtype: ScalarType.Int64, device: targets.device);
        if (nulls.Length <= 1) return (indicator, targets);

        var order = Enumerable.Range(0, (int)b).Select(i => (long)i).ToArray();
        for (int k = 0; k < nulls.Length; k++)
        {
            order[nulls[k]] = nulls[(k + 1) % nulls.Length];
            indicator[nulls[k]] = 1;
        }
        using var index = torch.tensor(order, device: targets.device);
        return (indicator, targets.index_select(0, index));
    }

    /// <summary>
    /// Per-sample flow-matching loss mean((v - (x1 - (1 - sigma_min) x0))^2) at x_t. With <paramref name="tokenWeights"/>
    /// [B, N], each token's squared error (mean over channels) counts with its weight: a weighted mean over the tokens.
    /// </summary>
    public static Tensor FlowMatching(FlowTransformer flow, Tensor x0, Tensor x1, Tensor t, Tensor indicator, Tensor? tokenWeights = null) =>
        FlowMatching(flow, x0, x1, t, indicator, out _, tokenWeights);

    /// <summary>As above; <paramref name="estimate"/> is the flow's one-step estimate of the target, x_t + (1 - t) v.</summary>
    public static Tensor FlowMatching(FlowTransformer flow, Tensor x0, Tensor x1, Tensor t, Tensor indicator, out Tensor estimate,
        Tensor? tokenWeights = null)
    {
        var xt = EulerFlowSampler.Interpolate(x0, x1, t);
        var v = flow.forward(xt, t, indicator);
        estimate = xt + (1 - t).view([t.shape[0], .. Enumerable.Repeat(1L, (int)xt.dim() - 1)]) * v;
        var error = (v - EulerFlowSampler.TargetVelocity(x0, x1)).pow(2);
        if (tokenWeights is null) return error.flatten(1).mean([1]);
        var perToken = error.flatten(2).mean([2]);
        return (perToken * tokenWeights).sum(1) / tokenWeights.sum(1);
    }

    /// <summary>
    /// CLIP-style symmetric cross-entropy between flattened, L2-normalised text tokens and their alignment target,
    /// scaled by exp(log temperature).
    /// </summary>
    public static Tensor ContrastiveAlignment(Tensor textTokens, Tensor projected, Tensor logTemperature)
    {
        var a = nn.functional.normalize(textTokens.flatten(1), dim: 1);
        var b = nn.functional.normalize(projected.flatten(1), dim: 1);
        var logits = logTemperature.exp() * a.matmul(b.t());
        using var labels = torch.arange(a.shape[0], device: a.device);
        return (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.t(), labels)) / 2;
    }

    /// <summary>The reference's text VAE KL: -0.5 sum(1 + logvar - (0.3 mu)^6 - exp(logvar)), summed over the batch.</summary>
    public static Tensor TextVaeKl(Tensor mu, Tensor logVar) =>
        -0.5 * (1 + logVar - (mu * 0.3).pow(6) - logVar.exp()).sum();
}
