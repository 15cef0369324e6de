using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlowTok.Model.Loading;
using FlowTok.Model.Training.Shapes;

namespace FlowTok.Model.Training.Evaluation;

/// <summary>Accuracy of each attribute, and of all five at once.</summary>
public sealed record AttributeFigures(double Shape, double Color, double Size, double Position, double Background, double Exact)
{
    public static AttributeFigures From(AttributeAccuracy accuracy) => new(
        accuracy[SceneAttribute.Shape], accuracy[SceneAttribute.Color], accuracy[SceneAttribute.Size],
        accuracy[SceneAttribute.Position], accuracy[SceneAttribute.Background], accuracy.ExactMatch);

    /// <summary>The lowest per-attribute accuracy.</summary>
    public double Worst => new[] { Shape, Color, Size, Position, Background }.Min();
}

/// <summary>Shape accuracy per expected shape of one direction of the report (or of its small or large shapes).</summary>
public sealed record ShapeAccuracyRow(string Direction, IReadOnlyDictionary<Shape, double> Accuracy, IReadOnlyDictionary<Shape, int> Counts)
{
    public static ShapeAccuracyRow From(string direction, ShapeTally tally) => new(direction, tally.Accuracy, tally.Counts);

    /// <summary>The direction's row, then one row per size.</summary>
    public static IEnumerable<ShapeAccuracyRow> WithSizes(string direction, ShapeTally tally) =>
        Enum.GetValues<ShapeSize>().Select(size => From($"{direction}, {size.ToString().ToLowerInvariant()}", tally.Of(size)))
            .Prepend(From(direction, tally));
}

/// <summary>What <c>flowtok eval</c> measures on a split: by default the test split (attribute combinations never seen in
/// training); the validation split (seen combinations) tells a failure to generalise from one to learn.</summary>
public sealed record EvaluationReport(
    string Model,
    int Prompts,
    AttributeFigures TextToImage,
    double ClipScoreGenerated,
    double ClipScoreReal,
    int Images,
    AttributeFigures ImageToText,
    double ReconstructionPsnr,
    double SecondsPerImage,
    double SecondsPerCaption,
    IReadOnlyList<string> SampleCaptions,
    AttributeFigures Reconstruction,
    AttributeFigures TokensOnly,
    double TokensOnlyPsnr,
    DatasetSplit Split = DatasetSplit.Test,
    ModelIndex.DefaultSettings? Sampling = null,
    IReadOnlyList<ShapeAccuracyRow>? ShapeByShape = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    });

    public string ToMarkdown()
    {
        static string P(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
        var md = new StringBuilder();
        md.AppendLine($"# FlowTok evaluation: {Model}");
        md.AppendLine();
        md.AppendLine(Split == DatasetSplit.Test
            ? "Test split: attribute combinations never seen in training."
            : $"{Split} split: attribute combinations seen in training (other scenes than the training ones).");
        md.AppendLine();
        md.AppendLine("| direction | n | shape | colour | size | position | background | all five |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        void Row(string name, int n, AttributeFigures f) =>
            md.AppendLine($"| {name} | {n} | {P(f.Shape)} | {P(f.Color)} | {P(f.Size)} | {P(f.Position)} | {P(f.Background)} | {P(f.Exact)} |");
        Row("text-to-image (analytic checker)", Prompts, TextToImage);
        Row("image-to-text (caption parsed)", Images, ImageToText);
        Row("reconstruction, caption-guided (analytic checker)", Images, Reconstruction);
        Row("reconstruction, empty caption: the tokens alone", Images, TokensOnly);
        md.AppendLine();
        md.AppendLine(FormattableString.Invariant($"- CLIP score (trained domain CLIP, x100): generated {ClipScoreGenerated:F2}, real test images {ClipScoreReal:F2}"));
        md.AppendLine(FormattableString.Invariant($"- Tokenizer reconstruction PSNR: {ReconstructionPsnr:F2} dB caption-guided, {TokensOnlyPsnr:F2} dB with the empty caption"));
        md.AppendLine("  (image-to-text sees only the tokens: what the empty-caption row misses, it cannot recover)");
        if (Sampling is { } s)
            md.AppendLine(FormattableString.Invariant($"- Sampling (the model's defaults): {s.Steps} Euler steps, guidance {s.GuidanceScale}, text noise {s.TextNoise}"));
        md.AppendLine(FormattableString.Invariant($"- Speed: {SecondsPerImage:F3} s per image, {SecondsPerCaption:F3} s per caption (CPU, batched)"));
        if (ShapeByShape is { Count: > 0 } rows)
        {
            var shapes = rows[0].Counts.Keys.ToList();
            md.AppendLine();
            md.AppendLine("Shape accuracy by the expected shape (n: " + string.Join(", ", shapes.Select(s => $"{s.ToString().ToLowerInvariant()} {rows[0].Counts[s]}")) + "):");
            md.AppendLine();
            md.AppendLine("| direction | " + string.Join(" | ", shapes.Select(s => s.ToString().ToLowerInvariant())) + " |");
            md.AppendLine("| --- |" + string.Concat(shapes.Select(_ => " --- |")));
            foreach (var row in rows)
                md.AppendLine($"| {row.Direction} | " + string.Join(" | ", shapes.Select(s => row.Accuracy.TryGetValue(s, out var a) ? P(a) : "–")) + " |");
        }
        md.AppendLine();
        md.AppendLine("Sample captions (expected -> generated):");
        md.AppendLine();
        foreach (var line in SampleCaptions) md.AppendLine($"- {line}");
        return md.ToString();
    }
}
