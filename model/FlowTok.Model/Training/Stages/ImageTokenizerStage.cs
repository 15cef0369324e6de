using FlowTok.Model.ImageTokenizer;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Stages;

/// <summary>
/// Stage 2: FlowTiTok learns to reconstruct images through its 1D tokens, guided by the frozen CLIP states of the
/// caption: pixel MSE + L1 and a small KL of the posterior. Afterwards the latents' scale factor is measured so the
/// flow sees unit-variance image tokens.
/// <para>
/// A share <paramref name="textDropout"/> of the samples is decoded with the empty caption's states instead of their
/// own, so the tokens must carry the whole picture: without it the decoder reads shape and colour off the caption,
/// the tokens leave them out, and image-to-text (which sees only the tokens) cannot recover them.
/// </para>
/// </summary>
public sealed class ImageTokenizerStage(
    FlowTiTok tokenizer, FrozenTextEncoder text, ICaptionedImages data, int batchSize, double klWeight = 1e-4, double textDropout = 0,
    double foregroundWeight = 0, TokenMaskHead? maskHead = null, double maskWeight = 0)
{
    public StepResult Step(int step, Generator generator)
    {
        var (images, captions) = data.Batch((long)step * batchSize, batchSize);
        var guidance = text.States(captions);
        if (textDropout > 0)
        {
            var drop = (torch.rand(captions.Length, generator: generator) < textDropout).view(-1, 1, 1);
            guidance = torch.where(drop, text.States([""]), guidance);
        }
        using var posterior = new DiagonalGaussian(tokenizer.EncodePosterior(images));
        var tokens = posterior.Sample(generator);
        var reconstruction = tokenizer.Decode(tokens, guidance);
        var mse = nn.functional.mse_loss(reconstruction, images);
        var l1 = nn.functional.l1_loss(reconstruction, images);
        var kl = posterior.Kl().mean() / (tokenizer.Config.TokenSize);
        var psnr = -10 * torch.log10(mse.detach());
        var loss = mse + 0.1 * l1 + klWeight * kl;
        bool withMask = maskHead is not null && maskWeight > 0;
        using var foreground = foregroundWeight > 0 || withMask ? ForegroundMask(images) : null;
        if (foregroundWeight > 0) loss += foregroundWeight * ForegroundMse(reconstruction, images, foreground!);
        var metrics = new Dictionary<string, Tensor> { ["psnr"] = psnr, ["kl"] = kl.detach() };
        if (withMask)
        {
            var maskLoss = maskHead!.Loss(tokens, foreground!);
            loss += maskWeight * maskLoss;
            metrics["mask"] = maskLoss.detach();
        }
        return new StepResult(loss, metrics);
    }

    /// <summary>MSE over the pixels whose colour differs from the image's background (the middle two of its four corners, averaged):
    /// the objects, which the image-wide MSE (dominated by a flat background) barely weighs.</summary>
    public static Tensor ForegroundMse(Tensor reconstruction, Tensor images) => ForegroundMse(reconstruction, images, ForegroundMask(images));

    private static Tensor ForegroundMse(Tensor reconstruction, Tensor images, Tensor mask) =>
        ((reconstruction - images).pow(2) * mask).sum() / (mask.sum() * images.shape[1]).clamp_min(1);

    /// <summary>1 where a pixel's colour differs from the image's background (the middle two of its four corners,
    /// averaged), else 0: [B, 1, H, W].</summary>
    public static Tensor ForegroundMask(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var corners = torch.stack([images[.., .., 0, 0], images[.., .., 0, -1], images[.., .., -1, 0], images[.., .., -1, -1]], dim: 2);
        var (sorted, _) = corners.sort(2);
        var background = sorted[.., .., 1..3].mean([2]).unsqueeze(-1).unsqueeze(-1);
        return ((images - background).abs().sum(1, keepdim: true) > 0.1).to(images.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>1 / std of the posterior means over <paramref name="samples"/> images: the flow-space scale factor.</summary>
    public double MeasureScaleFactor(int samples, long firstIndex)
    {
        tokenizer.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (images, _) = data.Batch(firstIndex, samples);
        using var posterior = new DiagonalGaussian(tokenizer.EncodePosterior(images));
        return 1.0 / posterior.Mean.std().item<float>();
    }

    /// <summary>Mean PSNR (dB) of posterior-mean reconstructions over <paramref name="count"/> images.</summary>
    public static double ReconstructionPsnr(FlowTiTok tokenizer, FrozenTextEncoder text, ICaptionedImages data, long firstIndex, int count, int batchSize = 64)
    {
        tokenizer.eval();
        using var noGrad = torch.no_grad();
        double total = 0;
        int seen = 0;
        for (int start = 0; start < count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batchSize, count - start);
            var (images, captions) = data.Batch(firstIndex + start, n);
            using var posterior = new DiagonalGaussian(tokenizer.EncodePosterior(images));
            total += SummedPsnr(tokenizer.Decode(posterior.Mode(), text.States(captions)), images);
            seen += n;
        }
        return total / seen;
    }

    /// <summary>The PSNR (dB) of each reconstruction (clamped to [0, 1], like output images) against its image, summed over the batch.</summary>
    public static double SummedPsnr(Tensor reconstructions, Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var mse = (reconstructions.clamp(0.0, 1.0) - images).pow(2).flatten(1).mean([1]).clamp_min(1e-10);
        return (-10 * torch.log10(mse)).sum().item<float>();
    }
}
