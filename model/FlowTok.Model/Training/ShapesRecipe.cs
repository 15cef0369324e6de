using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.TextVae;

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
    /// <summary>Decoder fine-tuning after <see cref="TokenizerTraining"/>, encoder frozen (same losses); null skips it. The tokens,
    /// and so the flows trained on them, do not change. On an earlier tokenizer without the mask head (test split, n = 200) it took
    /// reconstruction PSNR from 27.05 dB to 27.59 (600 steps at 5e-4), 27.96 (800 at 1e-3), 28.09 (950) and 28.23 dB (1100 at 1e-3);
    /// on the bundled one (with the mask head), 950 steps gave 27.90 dB and 1200 (this recipe: 6 min) 28.14 dB.</summary>
    public TrainingOptions? TokenizerDecoderTraining { get; init; } = new() { Steps = 1200, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 20 };
    /// <summary>Share of the tokenizer's samples decoded with the empty caption, so the tokens hold the whole picture
    /// (image-to-text sees only them) and the decoder still draws it without a caption.</summary>
    public double TokenizerTextDropout { get; init; } = 0.2;

    /// <summary>Weight of the tokenizer's foreground MSE (pixels off the background colour), next to the image-wide MSE
    /// that the flat background dominates. On the old layout (small shapes of 6 px; tokenizer alone, 1200 steps, test split,
    /// tokens decoded with the empty caption) 0.5 took shape from 43.0 % to 60.5 % and colour from 85.5 % to 100 %, and
    /// PSNR from 27.47 to 28.33 dB.</summary>
    public double TokenizerForegroundWeight { get; init; } = 0.5;
    /// <summary>Weight of the tokenizer's token mask loss (<see cref="Stages.TokenMaskHead"/>): one linear map shared by all tokens
    /// must draw the object's outline in each token's cell from that token alone, so outline is coded the same way for every colour;
    /// 0 is off. Probe of the tokens (small CNN trained on them to name the shape; validation / test split): 800 steps 86.8 / 66.5 %
    /// without (an earlier tokenizer), 99.5 / 98.0 % with 0.5; 300 steps 61.0 / 29.5 % without (the previous bundle's), 96.7 / 95.2 % with. Whole model, test split, n = 200, same flows' recipe: image-to-text shape 42.0 -> 92.0 %,
    /// text-to-image shape 25.5 -> 53.0 %; PSNR 28.25 -> 27.90 dB with the same decoder fine-tuning (see <see cref="TokenizerDecoderTraining"/>).</summary>
    public double TokenizerMaskWeight { get; init; } = 0.5;
    /// <summary>Weight of the object's tokens in the text-to-image flow loss (see <see cref="Stages.TextToImageStage"/>); 0 is
    /// the paper's plain mean. The bundled model was trained with 10; it was not compared against 0 on the same tokenizer.</summary>
    public double FlowForegroundWeight { get; init; } = 10;
    /// <summary>Whether <see cref="FlowForegroundWeight"/> gives every object the same total extra weight (the batch's mean), rather
    /// than one in proportion to its area: a small shape's few tokens then weigh about as much as a large shape's many. Same tokenizer
    /// and recipe (3500 steps, pool), text-to-image shape without -> with, validation split n = 600: 90.5 -> 93.5 % (star 77.6 -> 89.7 %,
    /// circle 76.3 -> 77.2 %); test split n = 600: 81.3 -> 81.0 % (star 65.8 -> 69.2 %, circle 49.2 -> 46.8 %); n = 200: 79.5 -> 80.5 %.</summary>
    public bool FlowForegroundPerObject { get; init; } = true;
    /// <summary>Training images encoded once for both flow stages (<see cref="Stages.ImageTokenPool"/>); 0 encodes every batch as it comes.
    /// 32768 images take about a minute; text-to-image (3500 x 64 samples) then sees each about 7 times, with a fresh posterior sample each
    /// time, and a step costs 0.27 s instead of 0.38 s, which pays for the 3500 steps. Same recipe without the pool (encoding every batch,
    /// 27 minutes with other work on the host), test split n = 200: text-to-image shape 80.5 % against 79.5 % with it.</summary>
    public int FlowPoolImages { get; init; } = 32_768;
    /// <summary>Share of the text-to-image samples trained at t = 0 (after <see cref="Stages.TextToImageStage"/>'s quarter of uniform
    /// times; see <see cref="FlowTokObjectives.WithStartTimes"/>): the first sampling step lays out the picture. Same (bundled)
    /// tokenizer, test split, n = 200, 0 -> 0.25: colour 95.5 -> 98.5 %, size 73.0 -> 82.5 %, position 98.5 -> 100 %, background
    /// 97.0 -> 100 %, CLIP score 89.6 -> 92.1; shape 20.5 -> 17.5 % (noise at this n), validation shape 27.5 % both.</summary>
    public double TextToImageStartShare { get; init; } = 0.25;
    /// <summary>Weight of the text VAE's KL term in text-to-image (the paper's 0.01, see <see cref="FlowTokObjectives.KlWeight"/>). 1e-3 (same tokenizer,
    /// test split, n = 200) lowered the flow loss (0.12 against 0.17 late in training) but not the errors: text-to-image shape 55.5 -> 49.0 %,
    /// colour 91.5 -> 98.0 %; image-to-text shape 92.0 -> 86.5 %.</summary>
    public double TextVaeKlWeight { get; init; } = FlowTokObjectives.KlWeight;
    /// <summary>Shape is what more steps buy (same tokenizer, test split, n = 200): text-to-image 1500 -> 2500 steps took shape
    /// from 20.0 to 25.5 % (validation 24.5 -> 43.0 %), and image-to-text 1000 -> 1500 from 25.5 to 42.0 % (validation 69.5 -> 87.0 %);
    /// together they cost 8.5 minutes of the budget. On the tokenizer with the mask head, 2500 -> 3500 steps (text noise 0) took
    /// text-to-image shape from 68.0 to 80.5 % (circle 41.9 -> 74.2 %, star 27.3 -> 43.2 %) and colour from 96.0 to 99.5 %;
    /// <see cref="FlowPoolImages"/> keeps them within the budget.</summary>
    public TrainingOptions TextToImageTraining { get; init; } = new() { Steps = 3500, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 100 };
    /// <summary>Weight of the image-to-text caption loss on the flow's own estimates (see <see cref="Stages.ImageToTextStage"/>);
    /// 0 is off. Same tokenizer and text VAE, validation split, 0 -> 1: shape 32.0 -> 39.5 %, colour 88.5 -> 94.5 %,
    /// size 76.5 -> 83.0 %, position 85.0 -> 98.0 %; on the test split's unseen pairs shape fell 16.5 -> 9.0 %.</summary>
    public double ImageToTextCaptionWeight { get; init; } = 1;
    /// <summary>Share of the image-to-text samples trained at t = 0 instead of a uniform time (see
    /// <see cref="FlowTokObjectives.WithStartTimes"/>): there the flow sees the image tokens alone and its one-step estimate,
    /// which the caption loss scores, is its whole answer. Same (bundled) tokenizer and text VAE, test split, n = 200, shares
    /// 0 / 0.25 / 0.5: shape 9.0 / 13.5 / 19.0 %, colour 89.5 / 98.5 / 100 %, size 80.5 / 90.0 / 91.5 %, position 95.0 / 100 / 100 %;
    /// validation shape 39.5 / 55.0 / 61.5 %. With it, 20 sampling steps and 1 agree (without, one step read colour better).</summary>
    public double ImageToTextStartShare { get; init; } = 0.5;
    public TrainingOptions ImageToTextTraining { get; init; } = new() { Steps = 1500, BatchSize = 64, LearningRate = 1e-3, WarmupSteps = 100 };

    /// <summary>Default sampling settings written into the model index.</summary>
    public int SamplingSteps { get; init; } = 20;
    public double GuidanceScale { get; init; } = 2.0;
    /// <summary>Text noise of the exported model (see <see cref="Pipelines.GenerationOptions.TextNoise"/>). The bundled model,
    /// test split, n = 200, text-to-image, text noise 1 -> 0: shape 55.5 -> 68.0 %, colour 91.5 -> 96.0 %, size 94.5 -> 100 %,
    /// background 99.5 -> 100 %, CLIP score 90.54 -> 92.75 (validation shape 74.0 -> 86.5 %); 0.5 and 0.25 fall in between.</summary>
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
