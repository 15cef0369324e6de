using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.Text;

namespace FlowTok.Model.Training;

/// <summary>
/// Every size and training setting of the project's own small FlowTok (both directions) in one place. The same
/// module families as the published model, scaled down for 64 px shape images and a 45-minute CPU budget: 32 text
/// and image tokens of 16 channels.
/// </summary>
public sealed record ShapesRecipe
{
    public int ImageSize { get; init; } = 64;
    public int Tokens { get; init; } = 32;
    public int Channels { get; init; } = 16;
    public int TextWidth { get; init; } = 128;
    public int DataSeed { get; init; } = Shapes.ShapesDataset.DefaultSeed;

    public ClipTextConfig TextEncoder(int vocabSize) => new()
    {
        VocabSize = vocabSize, ContextLength = Tokens, Width = TextWidth, Heads = 4, Layers = 3, ProjectionDim = 128,
    };

    public ClipImageConfig ImageEncoder => new() { ImageSize = ImageSize, PatchSize = 8, Width = 128, Heads = 4, Layers = 3, ProjectionDim = 128 };

    public TextVaeConfig TextVae => new()
    {
        Width = TextWidth, Blocks = 2, Heads = 4, FeedForward = 256, LatentChannels = Channels, ProjectorHidden = 256,
    };

    public ImageTokenizerConfig ImageTokenizer => new()
    {
        ImageSize = ImageSize, PatchSize = 8, TokenSize = Channels, LatentTokens = Tokens,
        Encoder = new VitSize(128, 3, 4), Decoder = new VitSize(128, 3, 4),
        TextEmbedDim = TextWidth, TextTokens = Tokens, PixelChannels = 16, GridAlignedLatents = true,
    };

    public FlowTransformerConfig Flow => new() { Hidden = 192, Depth = 4, Heads = 4, Channels = Channels, Tokens = Tokens };

    public FlowTransformerConfig ImageToTextFlow => Flow;

    public TextDecoderConfig TextDecoder(int vocabSize) => new()
    {
        Channels = Channels, Tokens = Tokens, Width = 128, Layers = 2, Heads = 4, VocabSize = vocabSize,
    };

    public TrainingOptions ClipTraining { get; init; } = new() { Steps = 500, BatchSize = 128, LearningRate = 1e-3, WarmupSteps = 50 };
    public TrainingOptions TokenizerTraining { get; init; } = new() { Steps = 1200, BatchSize = 32, LearningRate = 2e-3, WarmupSteps = 50 };
    /// <summary>Decoder fine-tuning after <see cref="TokenizerTraining"/>, encoder frozen (same losses); null skips it. The
    /// tokens, and so the flows trained on them, do not change. Its measured effect: docs/TRAINING.md, "Recipe
    /// history".</summary>
    public TrainingOptions? TokenizerDecoderTraining { get; init; } = new() { Steps = 1200, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 20 };
    /// <summary>Share of the tokenizer's samples decoded with the empty caption, so the tokens hold the whole picture
    /// (image-to-text sees only them) and the decoder still draws it without a caption.</summary>
    public double TokenizerTextDropout { get; init; } = 0.2;

    /// <summary>Weight of the tokenizer's foreground MSE (pixels off the background colour), next to the image-wide MSE
    /// that the flat background dominates. Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double TokenizerForegroundWeight { get; init; } = 0.5;
    /// <summary>Weight of the tokenizer's token mask loss (<see cref="Stages.TokenMaskHead"/>): one linear map shared by
    /// all tokens must draw the object's outline in each token's cell from that token alone, so outline is coded the same
    /// way for every colour; 0 is off. Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double TokenizerMaskWeight { get; init; } = 0.5;
    /// <summary>Weight of the object's tokens in the text-to-image flow loss (see <see cref="Stages.TextToImageStage"/>); 0
    /// is the paper's plain mean. Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double FlowForegroundWeight { get; init; } = 10;
    /// <summary>Whether <see cref="FlowForegroundWeight"/> gives every object the same total extra weight (the batch's
    /// mean), rather than one in proportion to its area: a small shape's few tokens then weigh about as much as a large
    /// shape's many. Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public bool FlowForegroundPerObject { get; init; } = true;
    /// <summary>Training images encoded once for both flow stages (<see cref="Stages.ImageTokenPool"/>); 0 encodes every
    /// batch as it comes. Each is seen several times, with a fresh posterior sample each time. Its measured effect:
    /// docs/TRAINING.md, "Recipe history".</summary>
    public int FlowPoolImages { get; init; } = 32_768;
    /// <summary>Share of the text-to-image samples trained at t = 0 (after <see cref="Stages.TextToImageStage"/>'s quarter
    /// of uniform times; see <see cref="FlowTokObjectives.WithStartTimes"/>): the first sampling step lays out the picture.
    /// Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double TextToImageStartShare { get; init; } = 0.25;
    /// <summary>Weight of the text VAE's KL term in text-to-image (the paper's 0.01, see <see
    /// cref="FlowTokObjectives.KlWeight"/>). Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double TextVaeKlWeight { get; init; } = FlowTokObjectives.KlWeight;
    /// <summary>Text-to-image flow training; shape is what more steps buy. Its measured effect: docs/TRAINING.md, "Recipe
    /// history".</summary>
    public TrainingOptions TextToImageTraining { get; init; } = new() { Steps = 3500, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 100 };
    /// <summary>Weight of the image-to-text caption loss on the flow's own estimates (see <see
    /// cref="Stages.ImageToTextStage"/>); 0 is off. Its measured effect: docs/TRAINING.md, "Recipe history".</summary>
    public double ImageToTextCaptionWeight { get; init; } = 1;
    /// <summary>Share of the image-to-text samples trained at t = 0 instead of a uniform time (see <see
    /// cref="FlowTokObjectives.WithStartTimes"/>): there the flow sees the image tokens alone and its one-step estimate,
    /// which the caption loss scores, is its whole answer. Its measured effect: docs/TRAINING.md, "Recipe
    /// history".</summary>
    public double ImageToTextStartShare { get; init; } = 0.5;
    public TrainingOptions ImageToTextTraining { get; init; } = new() { Steps = 1500, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 100 };

    /// <summary>Default sampling settings written into the model index.</summary>
    public int SamplingSteps { get; init; } = 20;
    public double GuidanceScale { get; init; } = 2.0;
    /// <summary>Text noise of the exported model (see <see cref="Pipelines.GenerationOptions.TextNoise"/>). Its measured
    /// effect: docs/TRAINING.md, "Recipe history".</summary>
    public double TextNoise { get; init; } = 0;

    public static ShapesRecipe Default => new();

    /// <summary>A tiny version that trains in seconds, for tests of the machinery.</summary>
    public static ShapesRecipe Smoke => new()
    {
        ClipTraining = new() { Steps = 4, BatchSize = 8, WarmupSteps = 1, CheckpointEvery = 2 },
        TokenizerTraining = new() { Steps = 4, BatchSize = 8, WarmupSteps = 1, CheckpointEvery = 2 },
        TokenizerDecoderTraining = new() { Steps = 2, BatchSize = 8, WarmupSteps = 1, CheckpointEvery = 1 },
        TextToImageTraining = new() { Steps = 4, BatchSize = 8, WarmupSteps = 1, CheckpointEvery = 2 },
        ImageToTextTraining = new() { Steps = 4, BatchSize = 8, WarmupSteps = 1, CheckpointEvery = 2 },
        FlowPoolImages = 24, // fewer than the 32 samples of a flow stage: the second pass reshuffles
        SamplingSteps = 2,
    };
}
