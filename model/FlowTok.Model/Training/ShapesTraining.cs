using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using FlowTok.Model.Text;
using FlowTok.Model.TextDecoder;
using FlowTok.Model.Training.Contrastive;
using FlowTok.Model.Training.Shapes;
using FlowTok.Model.Training.Stages;
using FlowTok.Model.Training.Vocabulary;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training;

/// <summary>
/// Trains the project's small FlowTok end to end on the shapes dataset, stage by stage: vocabulary -> CLIP (text +
/// image, contrastive) -> image tokenizer (then its decoder alone) -> text-to-image (text VAE + flow) -> image-to-text
/// (flow + text decoder), then exports a model directory. Each stage resumes from its checkpoint and is skipped once its weights exist,
/// so an interrupted run continues where it stopped.
/// </summary>
public sealed class ShapesTraining(string workDir, ShapesRecipe recipe, IProgress<TrainingProgress>? progress = null, Action<string>? log = null)
{
    public static readonly string[] Stages = ["vocab", "clip", "tokenizer", "t2i", "i2t"];

    private readonly ShapesDataset dataset = new(recipe.DataSeed, recipe.ImageSize);
    /// <summary>Image tokens text-to-image encoded, for image-to-text right after it in the same run (see <see cref="ImageTokenCache"/>).</summary>
    private ImageTokenCache? tokenCache;
    /// <summary>Pre-encoded training images for both flow stages (see <see cref="ShapesRecipe.FlowPoolImages"/>), handed from text-to-image to image-to-text.</summary>
    private ImageTokenPool? tokenPool;

    private string StageDir(string stage) => Path.Combine(workDir, stage);
    private string Final(string stage, string module) => Path.Combine(StageDir(stage), "final", $"{module}.safetensors");
    private string VocabDir => StageDir("vocab");

    public void Run(string stage, CancellationToken cancellationToken = default)
    {
        switch (stage)
        {
            case "vocab": Vocabulary(); break;
            case "clip": Clip(cancellationToken); break;
            case "tokenizer": Tokenizer(cancellationToken); break;
            case "t2i": TextToImage(cancellationToken); break;
            case "i2t": ImageToText(cancellationToken); break;
            case "all":
                foreach (var s in Stages) Run(s, cancellationToken);
                break;
            default: throw new ArgumentException($"unknown stage '{stage}' (expected {string.Join(", ", Stages)} or all)");
        }
    }

    /// <summary>The vocabulary built from the training captions (every attribute word occurs in training).</summary>
    public BpeVocabulary Vocabulary()
    {
        var corpus = dataset.Split(DatasetSplit.Train, 20_000).Select(ShapeCaptions.Caption).Distinct().ToList();
        var vocabulary = BpeVocabularyBuilder.Build(corpus);
        vocabulary.Save(VocabDir);
        log?.Invoke($"vocab: {vocabulary.Count} tokens from {corpus.Count} distinct captions");
        return vocabulary;
    }

    private ClipTokenizer Tokenizer() =>
        ClipTokenizer.FromDirectory(File.Exists(Path.Combine(VocabDir, ClipTokenizer.HuggingFaceVocabFileName)) ? VocabDir : throw Missing("vocab"), recipe.Tokens);

    private void Clip(CancellationToken ct)
    {
        if (Done("clip", ContrastiveClipTrainer.TextEncoderName)) return;
        var tokenizer = Tokenizer();
        var (text, image) = ContrastiveClipTrainer.CreateEncoders(recipe.TextEncoder(tokenizer.VocabSize), recipe.ImageEncoder, recipe.ClipTraining.Seed);
        int b = recipe.ClipTraining.BatchSize;
        var trainer = new ContrastiveClipTrainer(text, image, step =>
        {
            var batch = dataset.Batch(DatasetSplit.Train, (long)step * b, b);
            return (batch.Images, tokenizer.EncodeBatch(batch.Captions));
        });
        var loop = trainer.Train(recipe.ClipTraining, Checkpoint("clip"), progress, ct);
        SaveFinal("clip", loop);
    }

    private void Tokenizer(CancellationToken ct)
    {
        if (Done("tokenizer", "image_tokenizer")) return;
        using var text = FrozenText();
        torch.manual_seed(recipe.TokenizerTraining.Seed);
        var tokenizer = new FlowTiTok(recipe.ImageTokenizer);
        var data = new TrainImages(dataset);
        using var maskHead = recipe.TokenizerMaskWeight > 0 ? new TokenMaskHead(recipe.ImageTokenizer) : null;
        ImageTokenizerStage StageWithBatch(int batchSize, TokenMaskHead? head) => new(tokenizer, text, data, batchSize,
            textDropout: recipe.TokenizerTextDropout, foregroundWeight: recipe.TokenizerForegroundWeight, maskHead: head, maskWeight: recipe.TokenizerMaskWeight);
        var stage = StageWithBatch(recipe.TokenizerTraining.BatchSize, maskHead);
        List<(string, nn.Module)> trained = [("image_tokenizer", tokenizer)];
        if (maskHead is not null) trained.Add(("token_mask_head", maskHead));
        var loop = new TrainingLoop("tokenizer", trained, recipe.TokenizerTraining, Checkpoint("tokenizer"));
        loop.Run(stage.Step, progress, ct);
        loop.ApplyFinalWeights();
        double scale = stage.MeasureScaleFactor(512, 10_000_000);
        ComponentConfig.Save(recipe.ImageTokenizer with { ScaleFactor = scale }, Path.Combine(StageDir("tokenizer"), "final", "config.json"));
        log?.Invoke($"tokenizer: scale factor {scale:F4}");
        if (recipe.TokenizerDecoderTraining is not { } decoderOptions)
        {
            SaveFinal("tokenizer", loop);
            return;
        }

        // Decoder fine-tuning with the encoder frozen: sharper pictures from the same tokens (the flows only see the encoder's side).
        tokenizer.FreezeEncoder();
        var decoderLoop = new TrainingLoop("tokenizer-decoder", [("image_tokenizer", tokenizer)], decoderOptions,
            Path.Combine(StageDir("tokenizer"), "decoder-checkpoint"));
        int offset = recipe.TokenizerTraining.Steps * recipe.TokenizerTraining.BatchSize / decoderOptions.BatchSize;
        var decoderStage = StageWithBatch(decoderOptions.BatchSize, head: null); // the frozen encoder's tokens no longer change
        decoderLoop.Run((s, g) => decoderStage.Step(offset + s, g), progress, ct);
        decoderLoop.ApplyFinalWeights();
        SaveFinal("tokenizer", decoderLoop);
    }

    private void TextToImage(CancellationToken ct)
    {
        if (Done("t2i", "flow")) return;
        using var text = FrozenText();
        using var imageTokenizer = LoadImageTokenizer();
        torch.manual_seed(recipe.TextToImageTraining.Seed);
        var vae = new TextVae(recipe.TextVae);
        var flow = new FlowTransformer(recipe.Flow);
        tokenCache?.Dispose();
        tokenPool?.Dispose();
        tokenPool = null;
        var i2t = recipe.ImageToTextTraining;
        if (recipe.FlowPoolImages > 0) tokenPool = EncodePool(imageTokenizer, withCells: recipe.FlowForegroundWeight > 0);
        else tokenCache = i2t.BatchSize == recipe.TextToImageTraining.BatchSize ? new ImageTokenCache((long)i2t.Steps * i2t.BatchSize) : null;
        var stage = new TextToImageStage(vae, flow, imageTokenizer, text, new TrainImages(dataset), recipe.TextToImageTraining.BatchSize,
            foregroundWeight: recipe.FlowForegroundWeight, tokenCache: tokenCache, startTimeShare: recipe.TextToImageStartShare, klWeight: recipe.TextVaeKlWeight,
            foregroundPerObject: recipe.FlowForegroundPerObject, pool: tokenPool);
        var loop = new TrainingLoop("t2i", [("text_vae", vae), ("flow", flow)], recipe.TextToImageTraining, Checkpoint("t2i"));
        loop.Run(stage.Step, progress, ct);
        SaveFinal("t2i", loop);
    }

    private void ImageToText(CancellationToken ct)
    {
        // This stage owns what text-to-image handed over, whether it trains or is already done.
        using var handedTokens = tokenCache;
        tokenCache = null;
        using var handedPool = tokenPool;
        tokenPool = null;
        if (Done("i2t", "i2t_flow")) return;
        using var text = FrozenText();
        using var imageTokenizer = LoadImageTokenizer();
        using var pool = handedPool ?? (recipe.FlowPoolImages > 0 ? EncodePool(imageTokenizer, withCells: false) : null);
        using var vae = Load(new TextVae(recipe.TextVae), Final("t2i", "text_vae"));
        torch.manual_seed(recipe.ImageToTextTraining.Seed);
        var flow = new FlowTransformer(recipe.ImageToTextFlow);
        var decoder = new TextTokenDecoder(recipe.TextDecoder(text.Tokenizer.VocabSize));
        var stage = new ImageToTextStage(flow, decoder, vae, imageTokenizer, text, new TrainImages(dataset), recipe.ImageToTextTraining.BatchSize,
            captionWeight: recipe.ImageToTextCaptionWeight, tokenCache: handedTokens, startTimeShare: recipe.ImageToTextStartShare, pool: pool);
        var loop = new TrainingLoop("i2t", [("i2t_flow", flow), ("text_decoder", decoder)], recipe.ImageToTextTraining, Checkpoint("i2t"));
        loop.Run(stage.Step, progress, ct);
        SaveFinal("i2t", loop);
    }

    /// <summary>Writes the trained model as a model directory (weights in <paramref name="dtype"/>), plus the CLIP
    /// image encoder used as this domain's CLIP-score evaluator.</summary>
    public ModelDirectory Export(string modelDir, ScalarType dtype = ScalarType.Float32)
    {
        foreach (var s in Stages.Skip(1))
            if (!Directory.Exists(Path.Combine(StageDir(s), "final"))) throw Missing(s);
        var tokenizer = Tokenizer();
        int vocab = tokenizer.VocabSize;
        var tokConfig = ComponentConfig.Load<ImageTokenizerConfig>(Path.Combine(StageDir("tokenizer"), "final", "config.json"));
        var builder = new ModelDirectoryBuilder(modelDir).Tokenizer(VocabDir);
        void Add<TConfig>(string role, TConfig config, string file)
        {
            var folder = Path.Combine(modelDir, role);
            Directory.CreateDirectory(folder);
            ComponentConfig.Save(config, Path.Combine(folder, ModelDirectory.ConfigFileName));
            using var scope = torch.NewDisposeScope();
            var weights = StateDict.Read(file);
            StateDict.WriteSafetensors(Path.Combine(folder, ModelDirectory.WeightsFileName),
                dtype == ScalarType.Float32 ? weights : StateDict.ConvertDtype(weights, dtype));
            builder.Component(role, config, Path.Combine(folder, ModelDirectory.WeightsFileName));
        }
        Add(ModelIndex.Roles.TextEncoder, recipe.TextEncoder(vocab), Final("clip", ContrastiveClipTrainer.TextEncoderName));
        Add("image_encoder", recipe.ImageEncoder, Final("clip", ContrastiveClipTrainer.ImageEncoderName));
        Add(ModelIndex.Roles.TextVae, recipe.TextVae, Final("t2i", "text_vae"));
        Add(ModelIndex.Roles.Flow, recipe.Flow, Final("t2i", "flow"));
        Add(ModelIndex.Roles.ImageTokenizer, tokConfig, Final("tokenizer", "image_tokenizer"));
        Add(ModelIndex.Roles.ImageToTextFlow, recipe.ImageToTextFlow, Final("i2t", "i2t_flow"));
        Add(ModelIndex.Roles.TextDecoder, recipe.TextDecoder(vocab), Final("i2t", "text_decoder"));
        return builder.Defaults(recipe.SamplingSteps, recipe.GuidanceScale, recipe.TextNoise).Write("flowtok-shapes");
    }

    /// <summary>The first <see cref="ShapesRecipe.FlowPoolImages"/> training images, encoded once for the flow stages.</summary>
    private ImageTokenPool EncodePool(FlowTiTok imageTokenizer, bool withCells)
    {
        int count = recipe.FlowPoolImages;
        log?.Invoke($"pool: encoding {count} training images once for the flow stages");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int reported = 0;
        var pool = ImageTokenPool.Encode(imageTokenizer, new TrainImages(dataset), count, batchSize: 256, withCells, recipe.DataSeed, done =>
        {
            if (done * 4L / count <= reported) return;
            reported = (int)(done * 4L / count);
            log?.Invoke($"pool: {done}/{count} images, {clock.Elapsed:m\\:ss}");
        });
        return pool;
    }

    private FrozenTextEncoder FrozenText()
    {
        var tokenizer = Tokenizer();
        var encoder = Load(new ClipTextTransformer(recipe.TextEncoder(tokenizer.VocabSize)), Final("clip", ContrastiveClipTrainer.TextEncoderName));
        return new FrozenTextEncoder(tokenizer, encoder);
    }

    private FlowTiTok LoadImageTokenizer()
    {
        var config = ComponentConfig.Load<ImageTokenizerConfig>(Path.Combine(StageDir("tokenizer"), "final", "config.json"));
        return Load(new FlowTiTok(config), Final("tokenizer", "image_tokenizer"));
    }

    private static T Load<T>(T module, string file) where T : nn.Module
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file} is missing: train the earlier stage first", file);
        StateDict.LoadFile(module, file);
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        return module;
    }

    private bool Done(string stage, string module)
    {
        bool done = File.Exists(Final(stage, module));
        if (done) log?.Invoke($"{stage}: already trained ({Path.GetDirectoryName(Final(stage, module))})");
        return done;
    }

    private string Checkpoint(string stage) => Path.Combine(StageDir(stage), "checkpoint");

    private void SaveFinal(string stage, TrainingLoop loop)
    {
        var dir = Path.Combine(StageDir(stage), "final");
        Directory.CreateDirectory(dir);
        foreach (var (name, weights) in loop.FinalWeights)
            StateDict.WriteSafetensors(Path.Combine(dir, $"{name}.safetensors"), weights);
        log?.Invoke($"{stage}: loss {loop.LossTrace.First:F4} -> {loop.LossTrace.Last:F4}; weights in {dir}");
    }

    private static InvalidOperationException Missing(string stage) => new($"stage '{stage}' has not been trained yet");

    private sealed class TrainImages(ShapesDataset dataset) : ICaptionedImages
    {
        public (Tensor Images, string[] Captions) Batch(long firstIndex, int count)
        {
            var batch = dataset.Batch(DatasetSplit.Train, firstIndex, count);
            return (batch.Images, batch.Captions.ToArray());
        }
    }
}
