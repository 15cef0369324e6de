using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Text;
using FlowTok.Model.Training;
using FlowTok.Model.Training.Contrastive;
using FlowTok.Model.Training.Vocabulary;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training.Contrastive;

public sealed class ContrastiveClipTrainerTests(ContrastiveClipTrainerTests.TrainedPair trained, ITestOutputHelper output)
    : IClassFixture<ContrastiveClipTrainerTests.TrainedPair>
{
    private const int BatchSize = 24;
    private const int ContextLength = 8; // SOT + 4 words + EOT fits

    private static ClipTextConfig TextConfig(int vocabSize) => new()
    {
        VocabSize = vocabSize, ContextLength = ContextLength, Width = 32, Heads = 2, Layers = 1, ProjectionDim = 32,
    };

    private static ClipImageConfig ImageConfig => new() { Width = 32, Heads = 2, Layers = 1, ProjectionDim = 32 };

    /// <summary>Trains one small pair once for the class (a few seconds) and records what the tests check.</summary>
    public sealed class TrainedPair : IDisposable
    {
        public const int Steps = 40;

        private readonly TempDirectory temp = new();

        public TrainedPair()
        {
            Vocabulary = BpeVocabularyBuilder.Build(ColourFields.AllCaptions);
            Tokenizer = Vocabulary.SaveAndLoadTokenizer(temp.File("tokenizer"), ContextLength);
            (Text, Image) = ContrastiveClipTrainer.CreateEncoders(TextConfig(Vocabulary.Count), ImageConfig, seed: 3);
            Score = new ClipScore(Tokenizer, Text, Image);

            using var evalImages = EvaluationImages();
            Before = Score.Retrieval(evalImages, ColourFields.AllCaptions);

            var trainer = new ContrastiveClipTrainer(Text, Image, step => Batch(Tokenizer, step));
            var options = new TrainingOptions
            {
                Steps = Steps, WarmupSteps = 4, LearningRate = 3e-3, MinLearningRate = 1e-4, EmaDecay = 0, CheckpointEvery = 1000, Seed = 5,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            trainer.Train(options, temp.File("checkpoint"), new Sync(Progress.Add));
            TrainingTime = clock.Elapsed;
            After = Score.Retrieval(evalImages, ColourFields.AllCaptions);
        }

        public BpeVocabulary Vocabulary { get; }
        public ClipTokenizer Tokenizer { get; }
        public ClipTextTransformer Text { get; }
        public ClipImageEncoder Image { get; }
        public ClipScore Score { get; }
        public List<TrainingProgress> Progress { get; } = [];
        public RetrievalAccuracy Before { get; }
        public RetrievalAccuracy After { get; }
        public TimeSpan TrainingTime { get; }

        public void Dispose()
        {
            Text.Dispose();
            Image.Dispose();
            temp.Dispose();
        }
    }

    /// <summary>One fresh image per caption (noise never seen in training).</summary>
    private static Tensor EvaluationImages() =>
        ColourFields.Images(Enumerable.Range(0, ColourFields.Classes).ToArray(), new Generator(999));

    private static (Tensor Images, long[,] Ids) Batch(ClipTokenizer tokenizer, int step, int size = BatchSize)
    {
        var (images, captions) = ColourFields.Batch(step, size);
        return (images, tokenizer.EncodeBatch(captions));
    }

    [Fact]
    public void LossGoesDownClearly()
    {
        var losses = trained.Progress.Select(p => p.Loss).ToArray();
        Assert.Equal(TrainedPair.Steps, losses.Length);
        double initial = losses[0], final = losses.TakeLast(5).Average();
        output.WriteLine($"loss {initial:F3} -> {final:F3}; temperature {trained.Progress[^1].Metrics["logit_scale"]:F1}; {trained.TrainingTime.TotalSeconds:F1} s");
        Assert.True(final < 0.6 * initial, $"loss {initial:F3} -> {final:F3}");
    }

    [Fact]
    public void RetrievalRisesWellAboveChance()
    {
        double chance = 1.0 / ColourFields.Classes;
        output.WriteLine($"retrieval before {trained.Before}, after {trained.After}, chance {chance:F3}");
        Assert.True(trained.After.ImageToText >= 0.5, $"image->text {trained.After.ImageToText:F2} (chance {chance:F2})");
        Assert.True(trained.After.TextToImage >= 0.5, $"text->image {trained.After.TextToImage:F2} (chance {chance:F2})");
        Assert.True(trained.After.ImageToText > trained.Before.ImageToText);
    }

    [Fact]
    public void ClipScoreIsHundredTimesClampedCosineAndPrefersTheTrueCaption()
    {
        using var images = EvaluationImages();
        var captions = ColourFields.AllCaptions;
        float[,] similarities = trained.Score.Similarities(images, captions);
        float[] scores = trained.Score.Score(images, captions);

        for (int i = 0; i < captions.Count; i++)
            Assert.Equal(100 * Math.Max(similarities[i, i], 0), scores[i], 3);

        // Against a caption of another colour and shade, the true caption scores higher on average.
        var shifted = captions.Skip(7).Concat(captions.Take(7)).ToArray();
        Assert.True(scores.Average() > trained.Score.Score(images, shifted).Average());
    }

    [Fact]
    public void SavedEvaluatorLoadsAndScoresTheSame()
    {
        using var dir = new TempDirectory();
        ClipScore.Save(dir.Path, trained.Vocabulary, trained.Text, trained.Image);
        using var loaded = ClipScore.Load(dir.Path);
        using var images = EvaluationImages();

        Assert.Equal(trained.Score.Score(images, ColourFields.AllCaptions), loaded.Score(images, ColourFields.AllCaptions));
        Assert.Equal(trained.Image.Config, loaded.Image.Config);
        Assert.Equal(trained.Text.Config, loaded.Text.Config);
    }

    [Fact]
    public void ImageEncoderStateDictHasAStableLayout()
    {
        var names = trained.Image.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            [
                "class_embedding", "conv1.weight", "ln_post.bias", "ln_post.weight", "ln_pre.bias", "ln_pre.weight", "positional_embedding", "proj",
                "transformer.resblocks.0.attn.proj.bias", "transformer.resblocks.0.attn.proj.weight",
                "transformer.resblocks.0.attn.qkv.bias", "transformer.resblocks.0.attn.qkv.weight",
                "transformer.resblocks.0.ln_1.bias", "transformer.resblocks.0.ln_1.weight", "transformer.resblocks.0.ln_2.bias", "transformer.resblocks.0.ln_2.weight",
                "transformer.resblocks.0.mlp.c_fc.bias", "transformer.resblocks.0.mlp.c_fc.weight",
                "transformer.resblocks.0.mlp.c_proj.bias", "transformer.resblocks.0.mlp.c_proj.weight",
            ],
            names);
        Assert.Equal([65, 32], trained.Image.state_dict()["positional_embedding"].shape); // 64 patches + class token
        using var mean = new ClipImageEncoder(ImageConfig with { Pooling = ClipImagePooling.Mean });
        Assert.DoesNotContain("class_embedding", mean.state_dict().Keys);
        using var embedding = mean.forward(torch.rand(2, 3, 64, 64));
        Assert.Equal([2, 32], embedding.shape);
    }

    [Fact]
    public void AResumedRunEndsWhereAnUninterruptedOneDoes()
    {
        using var temp = new TempDirectory();
        var tokenizer = trained.Tokenizer;
        var options = new TrainingOptions { Steps = 6, WarmupSteps = 2, LearningRate = 3e-3, EmaDecay = 0, CheckpointEvery = 3, Seed = 9 };
        var (text, image) = ContrastiveClipTrainer.CreateEncoders(TextConfig(trained.Vocabulary.Count), ImageConfig, seed: 11);
        // Both runs start from the same weights by copying (the global seed is shared with tests running in parallel).
        var initial = temp.File("initial");
        ClipScore.Save(initial, trained.Vocabulary, text, image);

        new ContrastiveClipTrainer(text, image, s => Batch(tokenizer, s, size: 8)).Train(options, temp.File("straight"));

        using var cts = new CancellationTokenSource();
        using (var interrupted = ClipScore.Load(initial))
        {
            var first = new ContrastiveClipTrainer(interrupted.Text, interrupted.Image, s => Batch(tokenizer, s, size: 8));
            Assert.ThrowsAny<OperationCanceledException>(() =>
                first.Train(options, temp.File("resumed"), new Sync(p => { if (p.Step == 4) cts.Cancel(); }), cts.Token));
        }

        // Fresh random weights: everything must come from the step-3 checkpoint.
        var (text2, image2) = ContrastiveClipTrainer.CreateEncoders(TextConfig(trained.Vocabulary.Count), ImageConfig, seed: 12);
        var steps = new List<int>();
        new ContrastiveClipTrainer(text2, image2, s => Batch(tokenizer, s, size: 8)).Train(options, temp.File("resumed"), new Sync(p => steps.Add(p.Step)));

        Assert.Equal([4, 5, 6], steps);
        AssertSameWeights(text, text2);
        AssertSameWeights(image, image2);
        foreach (var m in new nn.Module[] { text, image, text2, image2 }) m.Dispose();
    }

    [Fact]
    public void LogitScaleIsCappedAtAHundred()
    {
        var (text, image) = ContrastiveClipTrainer.CreateEncoders(TextConfig(trained.Vocabulary.Count), ImageConfig, seed: 13);
        using (torch.no_grad()) text.LogitScale.fill_(10.0);
        var trainer = new ContrastiveClipTrainer(text, image, s => Batch(trained.Tokenizer, s));

        using (var scope = torch.NewDisposeScope())
        {
            var result = trainer.Step(0, new Generator(1));
            Assert.Equal(100, result.Metrics!["logit_scale"].item<float>(), 2);
        }
        Assert.Equal(ContrastiveClipTrainer.MaxLogitScale, text.LogitScale.item<float>(), 5);
        text.Dispose();
        image.Dispose();
    }

    [Fact]
    public void MismatchedProjectionsAreRejected()
    {
        using var text = new ClipTextTransformer(TextConfig(600));
        using var image = new ClipImageEncoder(ImageConfig with { ProjectionDim = 16 });
        Assert.Throws<ArgumentException>(() => new ContrastiveClipTrainer(text, image, _ => throw new InvalidOperationException()));
    }

    private static void AssertSameWeights(nn.Module expected, nn.Module actual)
    {
        var b = actual.state_dict();
        foreach (var (name, value) in expected.state_dict())
            Assert.True(value.allclose(b[name], rtol: 1e-4, atol: 1e-6), $"{name} differs after resuming");
    }

    private sealed class Sync(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
