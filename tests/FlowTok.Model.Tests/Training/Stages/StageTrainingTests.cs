using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Text;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.Training;
using FlowTok.Model.Training.Shapes;
using FlowTok.Model.Training.Stages;
using FlowTok.Model.Training.Vocabulary;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training.Stages;

/// <summary>Each stage, on tiny modules and the real shapes data, lowers its loss within a few dozen steps.</summary>
public sealed class StageTrainingTests : IDisposable
{
    private const int Tokens = 16;
    private const int Batch = 16;
    private readonly TempDirectory temp = new();
    private readonly ShapesDataset dataset = new(imageSize: 32);
    private readonly FrozenTextEncoder text;

    public StageTrainingTests()
    {
        var vocabulary = BpeVocabularyBuilder.Build(dataset.Split(DatasetSplit.Train, 2000).Select(ShapeCaptions.Caption));
        var tokenizer = vocabulary.SaveAndLoadTokenizer(temp.File("vocab"), Tokens);
        torch.manual_seed(5);
        var clip = new ClipTextTransformer(new ClipTextConfig { VocabSize = tokenizer.VocabSize, ContextLength = Tokens, Width = 32, Heads = 2, Layers = 1, ProjectionDim = null });
        text = new FrozenTextEncoder(tokenizer, clip);
    }

    private ImageTokenizerConfig TokenizerConfig => new()
    {
        ImageSize = 32, PatchSize = 8, TokenSize = 8, LatentTokens = Tokens, Encoder = new VitSize(32, 1, 2), Decoder = new VitSize(32, 1, 2),
        TextEmbedDim = 32, TextTokens = Tokens,
    };

    private FlowTransformerConfig FlowConfig => new() { Hidden = 32, Depth = 1, Heads = 2, Channels = 8, Tokens = Tokens };

    private (double Early, double Late) Train(string stage, IReadOnlyList<(string, nn.Module)> modules, Func<int, Generator, StepResult> step, int steps = 40)
    {
        var losses = new List<double>();
        var loop = new TrainingLoop(stage, modules, new TrainingOptions { Steps = steps, WarmupSteps = 4, LearningRate = 3e-3, CheckpointEvery = 1000 }, temp.File(stage));
        loop.Run(step, new Sync(p => losses.Add(p.Loss)));
        return (losses.Take(5).Average(), losses.TakeLast(5).Average());
    }

    [Theory]
    [InlineData(0, 0.0, false, 0.0)]
    [InlineData(16, 0.0, false, 0.0)]
    [InlineData(16, 0.3, false, 0.0)]
    [InlineData(16, 0.3, true, 0.0)]
    [InlineData(16, 0.3, true, 0.5)]
    public void ImageTokenizerReconstructionImproves(int pixelChannels, double textDropout, bool gridAligned, double foregroundWeight)
    {
        torch.manual_seed(6);
        using var tokenizer = new FlowTiTok(TokenizerConfig with { PixelChannels = pixelChannels, GridAlignedLatents = gridAligned });
        var stage = new ImageTokenizerStage(tokenizer, text, new Data(dataset), Batch, textDropout: textDropout, foregroundWeight: foregroundWeight);
        var (early, late) = Train($"tokenizer-{pixelChannels}-{textDropout}-{gridAligned}-{foregroundWeight}", [("t", tokenizer)], stage.Step);
        Assert.True(late < 0.7 * early, $"tokenizer loss {early:F4} -> {late:F4}");
    }

    /// <summary>The same seed gives the same losses, step for step and bit for bit, with the 3-channel output convolution
    /// whose oneDNN kernel once read garbage on AVX512 CPUs (NaN at a random step of otherwise identical runs).</summary>
    [Fact]
    public void ASeededTokenizerRunRepeatsBitForBit()
    {
        // The same initial weights for both runs (other test classes draw from the global generator in parallel, so a
        // seed alone does not pin them); every draw inside a step comes from the step's own seeded generator.
        var config = TokenizerConfig with { PixelChannels = 16, GridAlignedLatents = true };
        Dictionary<string, Tensor> initial;
        using (var fresh = new FlowTiTok(config))
            initial = fresh.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        List<double> Run(string name)
        {
            using var tokenizer = new FlowTiTok(config);
            StateDict.LoadInto(tokenizer, initial);
            var stage = new ImageTokenizerStage(tokenizer, text, new Data(dataset), Batch, textDropout: 0.3);
            var losses = new List<double>();
            var loop = new TrainingLoop(name, [("t", tokenizer)], new TrainingOptions { Steps = 20, WarmupSteps = 4, LearningRate = 3e-3, CheckpointEvery = 1000 }, temp.File(name));
            loop.Run(stage.Step, new Sync(p => losses.Add(p.Loss)));
            return losses;
        }
        var first = Run("repeat-a");
        var second = Run("repeat-b");
        Assert.Equal(20, first.Count);
        Assert.All(first, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(first, second);
    }

    [Fact]
    public void TheTokenMaskHeadLearnsTheOutlineWithTheTokenizer()
    {
        torch.manual_seed(6);
        var config = TokenizerConfig with { PixelChannels = 16, GridAlignedLatents = true };
        using var tokenizer = new FlowTiTok(config);
        using var head = new TokenMaskHead(config);
        var stage = new ImageTokenizerStage(tokenizer, text, new Data(dataset), Batch, textDropout: 0.2, foregroundWeight: 0.5, maskHead: head, maskWeight: 0.5);
        var masks = new List<double>();
        var loop = new TrainingLoop("tokenizer-mask", [("t", tokenizer), ("m", head)],
            new TrainingOptions { Steps = 40, WarmupSteps = 4, LearningRate = 3e-3, CheckpointEvery = 1000 }, temp.File("tokenizer-mask"));
        loop.Run(stage.Step, new Sync(p => masks.Add(p.Metrics["mask"])));
        double early = masks.Take(5).Average(), late = masks.TakeLast(5).Average();
        Assert.True(late < 0.7 * early, $"mask loss {early:F4} -> {late:F4}");
    }

    [Fact]
    public void DecoderFineTuningKeepsTheTokensAndLowersTheLoss()
    {
        torch.manual_seed(6);
        using var tokenizer = new FlowTiTok(TokenizerConfig with { PixelChannels = 16, GridAlignedLatents = true });
        var stage = new ImageTokenizerStage(tokenizer, text, new Data(dataset), Batch, textDropout: 0.2);
        Train("tokenizer-before-decoder", [("t", tokenizer)], stage.Step, steps: 10);
        var (images, _) = new Data(dataset).Batch(1_000_000, 8);
        tokenizer.eval();
        using var before = tokenizer.EncodeFlowTokens(images);
        var decoderBefore = DecoderWeights(tokenizer);

        tokenizer.FreezeEncoder();
        Assert.All(tokenizer.named_parameters().Where(p => p.parameter.requires_grad), p => Assert.StartsWith("decoder.", p.name));
        var (early, late) = Train("tokenizer-decoder", [("t", tokenizer)], (s, g) => stage.Step(100 + s, g));

        tokenizer.eval();
        using var after = tokenizer.EncodeFlowTokens(images);
        Assert.True(before.allclose(after, rtol: 0, atol: 0), "the encoder's tokens changed while only the decoder trained");
        Assert.Contains(DecoderWeights(tokenizer), kv => !kv.Value.allclose(decoderBefore[kv.Key], rtol: 0, atol: 0));
        Assert.True(late < early, $"decoder fine-tuning loss {early:F4} -> {late:F4}");
    }

    private static Dictionary<string, Tensor> DecoderWeights(FlowTiTok tokenizer) =>
        tokenizer.named_parameters().Where(p => p.name.StartsWith("decoder.")).ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void TheForegroundLossWeighsOnlyPixelsOffTheBackgroundColour()
    {
        using var scope = torch.NewDisposeScope();
        // A 5x5 image on a grey background (one corner of another colour: the background is the corners' middle two)
        // with a white 2-pixel object.
        var image = torch.full(1, 3, 5, 5, 0.5f);
        image[0, .., 0, 0] = torch.tensor(0.9f);
        image[0, .., 2, 1..3] = torch.tensor(1f);
        var flat = torch.full(1, 3, 5, 5, 0.5f);
        // The flat grey misses the object by 0.5 in every channel of its two pixels (and of the odd corner by 0.4, which
        // is also off the background): ((2 * 0.25 + 0.16) * 3) / (3 pixels * 3 channels).
        Assert.Equal((2 * 0.25 + 0.16) / 3, ImageTokenizerStage.ForegroundMse(flat, image).item<float>(), 4);
        // Errors on the background itself count for nothing.
        var wrongBackground = image.clone();
        wrongBackground[0, .., 4, 1..4] = torch.tensor(0f);
        Assert.Equal(0f, ImageTokenizerStage.ForegroundMse(wrongBackground, image).item<float>(), 6);
    }

    [Theory]
    [InlineData(false, 0.0, 0.0)]
    [InlineData(true, 10.0, 0.0)]
    [InlineData(true, 10.0, 0.25)]
    [InlineData(true, 10.0, 0.25, true)]
    public void TextToImageFlowLossFalls(bool gridAligned, double foregroundWeight, double startShare, bool pooled = false)
    {
        torch.manual_seed(7);
        using var tokenizer = new FlowTiTok(TokenizerConfig with { GridAlignedLatents = gridAligned });
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        using var pool = pooled ? ImageTokenPool.Encode(tokenizer, new Data(dataset), 5 * Batch, 32, withCells: true, seed: 1) : null;
        var stage = new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: foregroundWeight, startTimeShare: startShare,
            foregroundPerObject: pooled, pool: pool);
        var (early, late) = Train($"t2i-{foregroundWeight}-{startShare}-{pooled}", [("v", vae), ("f", flow)], stage.Step);
        Assert.True(late < 0.8 * early, $"text-to-image loss {early:F4} -> {late:F4}");
    }

    [Fact]
    public void TheTextVaeKlCountsWithItsWeight()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        using var tokenizer = new FlowTiTok(TokenizerConfig);
        tokenizer.eval();
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        StepResult StepWith(double klWeight)
        {
            using var generator = new Generator(11);
            return new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, klWeight: klWeight).Step(0, generator);
        }
        var without = StepWith(0);
        var weighted = StepWith(0.5);
        float kl = without.Metrics!["kl"].item<float>();
        Assert.True(kl > 0, $"kl {kl}");
        Assert.Equal(without.Loss.item<float>() + 0.5f * kl, weighted.Loss.item<float>(), 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, klWeight: -1));
    }

    private static TextVae NewTextVae() =>
        new(new TextVaeConfig { Width = 32, Blocks = 1, Heads = 2, FeedForward = 64, LatentChannels = 8, ProjectorHidden = 32 });

    [Fact]
    public void ForegroundTokenWeightsFollowTheObjectsCells()
    {
        using var scope = torch.NewDisposeScope();
        var config = TokenizerConfig with { GridAlignedLatents = true };
        using var tokenizer = new FlowTiTok(config);
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        var stage = new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: 10);
        int rows = config.LatentRows, cols = config.LatentColumns, cellH = config.ImageSize / rows, cellW = config.ImageSize / cols;
        // Two grey images, each with a white object filling half of the cell at row 1, column 2.
        var images = torch.full(2, 3, config.ImageSize, config.ImageSize, 0.5f);
        images[.., .., cellH..(cellH + cellH / 2), (2 * cellW)..(3 * cellW)] = torch.tensor(1f);
        var weights = stage.TokenWeights(ImageTokenPool.CellCoverage(images, config), torch.tensor(new long[] { 0, 1 }));
        Assert.Equal(new long[] { 2, rows * cols }, weights.shape);
        int cell = cols + 2;
        Assert.Equal(1 + 10 * 0.5, weights[0, cell].item<float>(), 4);
        Assert.Equal(rows * cols - 1, (weights[0] == 1).sum().item<long>());
        // A null sample (CFG indicator 1) is trained on another sample's target: it stays unweighted.
        Assert.Equal(rows * cols, (weights[1] == 1).sum().item<long>());
    }

    [Fact]
    public void PerObjectTokenWeightsGiveSmallAndLargeObjectsTheSameTotal()
    {
        using var scope = torch.NewDisposeScope();
        var config = TokenizerConfig with { GridAlignedLatents = true };
        using var tokenizer = new FlowTiTok(config);
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        int n = config.LatentRows * config.LatentColumns;
        // One object covers half a cell, the other two whole cells.
        var cells = torch.zeros(2, n);
        cells[0, 3] = torch.tensor(0.5f);
        cells[1, 5] = torch.tensor(1f);
        cells[1, 6] = torch.tensor(1f);
        var none = torch.zeros(2, dtype: ScalarType.Int64);
        var plain = new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: 10).TokenWeights(cells, none);
        var perObject = new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: 10, foregroundPerObject: true).TokenWeights(cells, none);
        var plainExtra = (plain - 1).sum(1);
        var extra = (perObject - 1).sum(1);
        Assert.Equal(4 * plainExtra[0].item<float>(), plainExtra[1].item<float>(), 4); // plain: by area
        Assert.Equal(extra[0].item<float>(), extra[1].item<float>(), 4); // per object: the same for both
        Assert.Equal(plainExtra.mean().item<float>(), extra.mean().item<float>(), 4); // and the batch's total is kept
        Assert.Equal(1f, perObject[0, 0].item<float>()); // background tokens stay at 1
    }

    [Fact]
    public void ThePoolKeepsEachImagesPosteriorAndCellsAndReshufflesEveryPass()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var config = TokenizerConfig with { GridAlignedLatents = true };
        using var tokenizer = new FlowTiTok(config);
        tokenizer.eval();
        const int count = 2 * Batch + 3;
        var encodedSoFar = new List<int>();
        using var pool = ImageTokenPool.Encode(tokenizer, new Data(dataset), count, batchSize: 8, withCells: true, seed: 1, encodedSoFar.Add);
        Assert.Equal(count, pool.Count);
        Assert.Equal(new[] { 8, 16, 24, 32, count }, encodedSoFar);

        // The first pass is the data in order: the same posterior means, cells and captions as encoding the images directly.
        var (images, captions) = new Data(dataset).Batch(0, Batch);
        using var generator = new Generator(3);
        var batch = pool.Batch(0, Batch, generator);
        Assert.Equal(captions, batch.Captions);
        using (torch.no_grad()) Assert.True(tokenizer.EncodeFlowTokens(images).allclose(batch.Mean, rtol: 1e-4, atol: 1e-5));
        Assert.True(ImageTokenPool.CellCoverage(images, config).allclose(batch.Cells!));
        // The sample is a fresh posterior draw around the mean.
        Assert.False(batch.Sample.allclose(batch.Mean));
        Assert.True((batch.Sample - batch.Mean).abs().max().item<float>() < 10 * (batch.Sample - batch.Mean).abs().mean().item<float>() + 1e-3);

        // Every pass visits every image once; later passes in another, seeded order.
        var first = Enumerable.Range(0, count).Select(i => pool.ImageOf(i)).ToArray();
        var second = Enumerable.Range(count, count).Select(i => pool.ImageOf(i)).ToArray();
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), first);
        Assert.Equal(first, second.Order());
        Assert.NotEqual(first, second);
        using var again = ImageTokenPool.Encode(tokenizer, new Data(dataset), count, batchSize: 16, withCells: false, seed: 1);
        Assert.Equal(second, Enumerable.Range(count, count).Select(i => again.ImageOf(i)));
        Assert.Null(again.Batch(0, 2, generator).Cells);
        // Foreground weighting needs the cells.
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        Assert.Throws<ArgumentException>(() => new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: 10, pool: again));
    }

    [Fact]
    public void ForegroundWeightingNeedsGridAlignedTokens()
    {
        using var tokenizer = new FlowTiTok(TokenizerConfig);
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        var error = Assert.Throws<ArgumentException>(() => new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, foregroundWeight: 10));
        Assert.Contains("grid-aligned", error.Message);
    }

    [Fact]
    public void EqualTokenWeightsGiveThePlainFlowLoss()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(9);
        using var flow = new FlowTransformer(FlowConfig);
        var x0 = torch.randn(3, Tokens, 8);
        var x1 = torch.randn(3, Tokens, 8);
        var t = torch.rand(3);
        var indicator = torch.zeros(3, dtype: ScalarType.Int64);
        var plain = FlowTokObjectives.FlowMatching(flow, x0, x1, t, indicator);
        var weighted = FlowTokObjectives.FlowMatching(flow, x0, x1, t, indicator, torch.full(3, Tokens, 4f));
        Assert.True(torch.allclose(plain, weighted, rtol: 1e-5, atol: 1e-6));
        // Weight on one token only: that token's error alone.
        var one = torch.zeros(3, Tokens);
        one[.., 5] = torch.tensor(1f);
        var v = flow.forward(FlowTok.Model.Sampling.EulerFlowSampler.Interpolate(x0, x1, t), t, indicator);
        var tokenFive = (v - FlowTok.Model.Sampling.EulerFlowSampler.TargetVelocity(x0, x1)).pow(2)[.., 5].mean([1]);
        Assert.True(torch.allclose(FlowTokObjectives.FlowMatching(flow, x0, x1, t, indicator, one), tokenFive, rtol: 1e-5, atol: 1e-6));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, 0.5)]
    [InlineData(1.0, 0.5, true)]
    public void ImageToTextDecoderLearnsIds(double captionWeight, double startShare, bool pooled = false)
    {
        torch.manual_seed(8);
        using var tokenizer = new FlowTiTok(TokenizerConfig);
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        using var decoder = new TextTokenDecoder(new TextDecoderConfig { Channels = 8, Tokens = Tokens, Width = 32, Layers = 1, Heads = 2, VocabSize = text.Tokenizer.VocabSize });
        using var pool = pooled ? ImageTokenPool.Encode(tokenizer, new Data(dataset), 5 * Batch, 32, withCells: false, seed: 1) : null;
        var stage = new ImageToTextStage(flow, decoder, vae, tokenizer, text, new Data(dataset), Batch, captionWeight, startTimeShare: startShare, pool: pool);
        var (early, late) = Train($"i2t-{captionWeight}-{startShare}-{pooled}", [("f", flow), ("d", decoder)], stage.Step);
        Assert.True(late < 0.6 * early, $"image-to-text loss {early:F4} -> {late:F4}");
    }

    [Fact]
    public void ImageToTextStepsOnTokensHandedOverByTextToImageAreTheStepsItWouldTakeAlone()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(10);
        using var tokenizer = new FlowTiTok(TokenizerConfig);
        tokenizer.eval();
        using var vae = NewTextVae();
        using var flow = new FlowTransformer(FlowConfig);
        using var cache = new ImageTokenCache(capacityImages: 2 * Batch);
        var t2i = new TextToImageStage(vae, flow, tokenizer, text, new Data(dataset), Batch, tokenCache: cache);
        for (int step = 0; step < 3; step++)
            using (var g = new Generator(1)) t2i.Step(step, g);
        Assert.Equal(2, cache.Count); // the third batch starts past the capacity

        // What text-to-image left is exactly the posterior mean image-to-text would encode.
        var (images, _) = new Data(dataset).Batch(Batch, Batch);
        using (torch.no_grad())
        {
            var own = tokenizer.EncodeFlowTokens(images);
            var handed = cache.Take(Batch, Batch)!;
            Assert.True(own.allclose(handed, rtol: 0, atol: 0));
            Assert.Null(cache.Take(Batch, Batch)); // taken once
        }

        // So an image-to-text step is the same with or without it.
        using var i2tFlow = new FlowTransformer(FlowConfig);
        using var decoder = new TextTokenDecoder(new TextDecoderConfig { Channels = 8, Tokens = Tokens, Width = 32, Layers = 1, Heads = 2, VocabSize = text.Tokenizer.VocabSize });
        var alone = new ImageToTextStage(i2tFlow, decoder, vae, tokenizer, text, new Data(dataset), Batch, captionWeight: 1);
        var handedOver = new ImageToTextStage(i2tFlow, decoder, vae, tokenizer, text, new Data(dataset), Batch, captionWeight: 1, tokenCache: cache);
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        var expected = alone.Step(0, g1).Loss.item<float>();
        Assert.Equal(1, cache.Count);
        Assert.Equal(expected, handedOver.Step(0, g2).Loss.item<float>());
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void SmokeRunTrainsEveryStageAndExportsALoadableModel()
    {
        // 32 px: a 4 x 4 patch grid, which the recipe's grid-aligned latents tile with 16 tokens (4 x 4), not 32.
        var training = new ShapesTraining(temp.File("work"), ShapesRecipe.Smoke with { ImageSize = 32, Tokens = 16 });
        training.Run("all");
        var dir = training.Export(temp.File("model"), ScalarType.BFloat16);
        Assert.Equal(ShapesRecipe.Smoke.TextNoise, dir.Index.Defaults.TextNoise);
        // The tokenizer's mask head only shapes training: it is not part of the exported model.
        Assert.Empty(Directory.GetFiles(temp.File("model"), "*mask*", SearchOption.AllDirectories));
        using var t2i = dir.LoadTextToImage();
        using var images = t2i.Generate(["a small red circle at the top left on a blue background"], [1], new GenerationOptions { Steps = 2 });
        Assert.Equal(new long[] { 1, 3, 32, 32 }, images.shape);
        using var i2t = dir.LoadImageToText();
        Assert.Single(i2t.Caption(images, new GenerationOptions { Steps = 2 }));
        // A second run finds every stage done and trains nothing.
        var notes = new List<string>();
        new ShapesTraining(temp.File("work"), ShapesRecipe.Smoke with { ImageSize = 32, Tokens = 16 }, log: notes.Add).Run("all");
        Assert.Equal(ShapesTraining.Stages.Length - 1, notes.Count(n => n.Contains("already trained")));
    }

    private sealed class Data(ShapesDataset dataset) : ICaptionedImages
    {
        public (Tensor Images, string[] Captions) Batch(long firstIndex, int count)
        {
            var batch = dataset.Batch(DatasetSplit.Train, firstIndex, count);
            return (batch.Images, batch.Captions.ToArray());
        }
    }

    private sealed class Sync(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    public void Dispose()
    {
        text.Dispose();
        temp.Dispose();
    }
}
