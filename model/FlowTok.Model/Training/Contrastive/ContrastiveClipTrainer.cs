using FlowTok.Model.Clip;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Contrastive;

/// <summary>
/// Stage 1: CLIP's text tower (with its projection head) and the small image tower learn a joint embedding with the
/// symmetric CLIP loss, cross-entropy both ways over <c>exp(logit_scale)</c> x cosine similarities, the learned
/// temperature capped at 100 as in CLIP. The trained pair conditions the later stages and scores them
/// (<see cref="ClipScore"/>).
/// </summary>
/// <remarks>
/// Batches come from the caller by step index (<c>step -> (images [B, 3, S, S] in [0, 1], ids [B, ctx])</c>), so any
/// dataset plugs in and a resumed run sees the same batches. The delegate is called inside the step's dispose
/// scope: tensors it creates are freed with the step. Optimisation, checkpoints and resuming are the shared
/// <see cref="TrainingLoop"/>'s.
/// </remarks>
public sealed class ContrastiveClipTrainer
{
    public const string StageName = "clip";
    /// <summary>Module names in the training checkpoint (and the component folders of <see cref="ClipScore"/>).</summary>
    public const string TextEncoderName = "text_encoder";
    public const string ImageEncoderName = "image_encoder";

    /// <summary>CLIP clamps the logit scale at ln(100) so the temperature cannot collapse and destabilise training.</summary>
    public static readonly double MaxLogitScale = Math.Log(100);

    private readonly ClipTextTransformer text;
    private readonly ClipImageEncoder image;
    private readonly Func<int, (Tensor Images, long[,] Ids)> batches;

    public ContrastiveClipTrainer(ClipTextTransformer text, ClipImageEncoder image, Func<int, (Tensor Images, long[,] Ids)> batches)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(batches);
        if (text.Config.ProjectionDim is not int projection)
            throw new ArgumentException("the CLIP text config needs a ProjectionDim (text_projection and logit_scale) for contrastive training", nameof(text));
        if (projection != image.Config.ProjectionDim)
            throw new ArgumentException($"text and image projections differ: {projection} vs {image.Config.ProjectionDim}", nameof(image));
        this.text = text;
        this.image = image;
        this.batches = batches;
    }

    /// <summary>Both towers built from one seed, so a run is reproducible from its configs and seed alone.</summary>
    public static (ClipTextTransformer Text, ClipImageEncoder Image) CreateEncoders(ClipTextConfig textConfig, ClipImageConfig imageConfig, long seed)
    {
        torch.manual_seed(seed);
        return (new ClipTextTransformer(textConfig), new ClipImageEncoder(imageConfig));
    }

    /// <summary>
    /// One step's loss (for <see cref="TrainingLoop.Run"/>), with metrics: <c>logit_scale</c> (the temperature
    /// exp(logit_scale) in use) and <c>i2t_acc</c> (share of images whose own caption scores highest in the batch).
    /// </summary>
    public StepResult Step(int step, Generator generator)
    {
        // open_clip clamps the parameter after every update; before each forward is the same within one step.
        using (torch.no_grad()) text.LogitScale.clamp_(max: MaxLogitScale);

        var (images, idsArray) = batches(step);
        var device = text.LogitScale.device;
        var ids = TokenIds.ToTensor(idsArray, device);
        if (images.shape[0] != ids.shape[0])
            throw new ArgumentException($"step {step}: {images.shape[0]} images but {ids.shape[0]} captions");

        var textEmbeddings = text.EncodePooled(ids, text.forward(ids));
        var imageEmbeddings = image.forward(images.to(device));
        var logitScale = text.LogitScale.clamp(max: MaxLogitScale);
        var loss = FlowTokObjectives.ContrastiveAlignment(imageEmbeddings, textEmbeddings, logitScale);

        Tensor accuracy;
        using (torch.no_grad())
        {
            var similarity = nn.functional.normalize(imageEmbeddings, dim: 1).matmul(nn.functional.normalize(textEmbeddings, dim: 1).t());
            accuracy = (similarity.argmax(1) == torch.arange(similarity.shape[0], device: device)).to(ScalarType.Float32).mean();
        }
        return new StepResult(loss, new Dictionary<string, Tensor> { ["logit_scale"] = logitScale.detach().exp(), ["i2t_acc"] = accuracy });
    }

    /// <summary>
    /// Trains both towers for <see cref="TrainingOptions.Steps"/> steps, resuming from <paramref name="checkpointDir"/>
    /// when it holds a checkpoint of this stage. The returned loop holds the final (EMA) weights; call
    /// <see cref="TrainingLoop.ApplyFinalWeights"/> to put them into the modules.
    /// </summary>
    public TrainingLoop Train(TrainingOptions options, string checkpointDir, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var loop = new TrainingLoop(StageName, [(TextEncoderName, text), (ImageEncoderName, image)], options, checkpointDir);
        loop.Run(Step, progress, cancellationToken);
        return loop;
    }
}
