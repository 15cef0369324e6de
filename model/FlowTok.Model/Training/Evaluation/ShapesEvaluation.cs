using System.Diagnostics;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Training.Contrastive;
using FlowTok.Model.Training.Shapes;
using FlowTok.Model.Training.Stages;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training.Evaluation;

/// <summary>
/// Evaluates a shapes-trained model directory on the test split (or another split, to tell unseen-combination failures
/// from plain under-training): text-to-image judged by the analytic checker and
/// the trained CLIP score, image-to-text by parsing the captions, and the tokenizer's reconstruction PSNR.
/// </summary>
public static class ShapesEvaluation
{
    /// <param name="computeType">The dtype the model runs in (default float32).</param>
    /// <param name="sampling">Changes the model's default sampling settings (steps, solver), e.g. to trade evaluations for accuracy.</param>
    public static EvaluationReport Run(string modelDir, int count, int batchSize = 16, string? gridPng = null, int seed = 0, IProgress<string>? log = null,
        DatasetSplit split = DatasetSplit.Test, ScalarType computeType = ScalarType.Float32, Func<GenerationOptions, GenerationOptions>? sampling = null)
    {
        var directory = ModelDirectory.Open(modelDir);
        using var textToImage = directory.LoadTextToImage(computeType);
        using var imageToText = directory.LoadImageToText(computeType);
        using var clip = ClipScore.Load(modelDir);
        var dataset = new ShapesDataset(imageSize: textToImage.ImageSize);
        var scenes = dataset.Split(split, count).ToList();
        var options = directory.Index.Defaults.ToOptions();
        if (sampling is not null) options = sampling(options);
        options.Validate();
        log?.Report($"sampling: {options.Solver} {options.Steps} steps ({options.Evaluations} network evaluations), guidance {options.GuidanceScale}, {Nn.ComputePrecision.Name(computeType)}");

        var t2i = new AttributeAccuracy();
        var i2t = new AttributeAccuracy();
        var reconstruction = new AttributeAccuracy();
        var tokensOnly = new AttributeAccuracy();
        ShapeTally t2iShapes = new(), i2tShapes = new(), reconstructionShapes = new(), tokensOnlyShapes = new();
        double clipGenerated = 0, clipReal = 0, psnr = 0, tokensOnlyPsnr = 0, t2iSeconds = 0, i2tSeconds = 0;
        var samples = new List<string>();
        var grid = new List<byte[]>();
        using var emptyCaption = textToImage.EncodePrompt([""]);
        for (int start = 0; start < scenes.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            var part = scenes.Skip(start).Take(batchSize).ToList();
            var captions = part.Select(ShapeCaptions.Caption).ToArray();
            var seeds = Enumerable.Range(start, part.Count).Select(i => (long)(seed + i)).ToArray();

            var clock = Stopwatch.StartNew();
            var generated = textToImage.Generate(captions, seeds, options);
            t2iSeconds += clock.Elapsed.TotalSeconds;
            var readings = AnalyticChecker.ReadBatch(generated);
            for (int i = 0; i < part.Count; i++) Add(t2i, t2iShapes, part[i], AnalyticChecker.Score(part[i], readings[i]));
            clipGenerated += clip.Score(generated, captions).Sum();

            var real = dataset.Batch(split, start, part.Count).Images;
            clipReal += clip.Score(real, captions).Sum();
            clock.Restart();
            var written = imageToText.Caption(real, options);
            i2tSeconds += clock.Elapsed.TotalSeconds;
            for (int i = 0; i < part.Count; i++)
            {
                Add(i2t, i2tShapes, part[i], AttributeScore.Of(part[i], ShapeCaptions.Parse(written[i])));
                if (samples.Count < 12) samples.Add($"{captions[i]} -> {written[i].Trim()}");
            }

            // Reconstruction through the tokenizer: encode (posterior mean) and decode with the caption's guidance, then
            // with the empty caption's, which shows what the tokens alone hold (all that image-to-text gets to see).
            var tokens = imageToText.EncodeImage(real);
            using (var encoding = textToImage.EncodePrompt(captions))
                psnr += ScoreReconstructions(textToImage.Decode(tokens, encoding.ClipStates), real, part, reconstruction, reconstructionShapes);
            var emptyStates = emptyCaption.ClipStates.expand(part.Count, -1, -1);
            tokensOnlyPsnr += ScoreReconstructions(textToImage.Decode(tokens, emptyStates), real, part, tokensOnly, tokensOnlyShapes);
            if (gridPng is not null && grid.Count < 64)
                grid.AddRange(ImageIo.ToPngs(generated).Take(64 - grid.Count));
            log?.Report($"evaluated {Math.Min(start + batchSize, scenes.Count)}/{scenes.Count}: {t2i}");
        }
        if (gridPng is not null) WriteGrid(grid, gridPng);
        int n = scenes.Count;
        return new EvaluationReport(directory.Index.Name, n, AttributeFigures.From(t2i), clipGenerated / n, clipReal / n,
            n, AttributeFigures.From(i2t), psnr / n, t2iSeconds / n, i2tSeconds / n, samples,
            AttributeFigures.From(reconstruction), AttributeFigures.From(tokensOnly), tokensOnlyPsnr / n, split, directory.Index.Defaults,
            [
                .. ShapeAccuracyRow.WithSizes("text-to-image", t2iShapes), .. ShapeAccuracyRow.WithSizes("image-to-text", i2tShapes),
                .. ShapeAccuracyRow.WithSizes("reconstruction, caption-guided", reconstructionShapes), .. ShapeAccuracyRow.WithSizes("tokens alone", tokensOnlyShapes),
            ]);
    }

    /// <summary>Scores reconstructions with the analytic checker into <paramref name="accuracy"/>; returns their summed PSNR (dB).</summary>
    private static double ScoreReconstructions(Tensor reconstructed, Tensor real, IReadOnlyList<ShapeScene> scenes, AttributeAccuracy accuracy, ShapeTally shapes)
    {
        var readings = AnalyticChecker.ReadBatch(reconstructed);
        for (int i = 0; i < scenes.Count; i++) Add(accuracy, shapes, scenes[i], AnalyticChecker.Score(scenes[i], readings[i]));
        return ImageTokenizerStage.SummedPsnr(reconstructed, real);
    }

    private static void Add(AttributeAccuracy accuracy, ShapeTally shapes, ShapeScene scene, AttributeScore score)
    {
        accuracy.Add(score);
        shapes.Add(scene.Shape, scene.Size, score.Shape);
    }

    /// <summary>Tiles the images 8 to a row into one PNG.</summary>
    private static void WriteGrid(IReadOnlyList<byte[]> pngs, string path)
    {
        if (pngs.Count == 0) return;
        var tiles = pngs.Select(p => Image.Load<Rgb24>(p)).ToList();
        int size = tiles[0].Width, columns = Math.Min(8, tiles.Count), rows = (tiles.Count + columns - 1) / columns;
        using var canvas = new Image<Rgb24>(columns * (size + 2), rows * (size + 2), new Rgb24(255, 255, 255));
        for (int i = 0; i < tiles.Count; i++)
        {
            var tile = tiles[i];
            canvas.Mutate(c => c.DrawImage(tile, new Point(i % columns * (size + 2) + 1, i / columns * (size + 2) + 1), 1f));
            tile.Dispose();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        canvas.SaveAsPng(path);
    }
}
