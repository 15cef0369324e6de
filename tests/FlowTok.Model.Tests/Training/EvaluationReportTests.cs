using FlowTok.Model.Loading;
using FlowTok.Model.Training.Evaluation;
using FlowTok.Model.Training.Shapes;

namespace FlowTok.Model.Tests.Training;

public sealed class EvaluationReportTests
{
    private static readonly AttributeFigures Figures = new(0.5, 0.9, 0.8, 1.0, 1.0, 0.4);

    private static EvaluationReport Report(DatasetSplit split) =>
        new("m", 10, Figures, 90, 95, 10, Figures, 29, 0.1, 0.1, [], Figures, Figures, 28, split);

    [Theory]
    [InlineData(DatasetSplit.Test, "Test split: attribute combinations never seen in training.", "\"split\": \"test\"")]
    [InlineData(DatasetSplit.Validation, "Validation split: attribute combinations seen in training", "\"split\": \"validation\"")]
    public void TheReportSaysWhichSplitItMeasured(DatasetSplit split, string heading, string json)
    {
        var report = Report(split);
        Assert.Contains(heading, report.ToMarkdown());
        Assert.Contains(json, report.ToJson());
    }

    [Fact]
    public void TheReportSaysWhichSamplingSettingsItUsed()
    {
        var report = Report(DatasetSplit.Test) with { Sampling = new ModelIndex.DefaultSettings { Steps = 12, GuidanceScale = 1.5, TextNoise = 0.25 } };
        Assert.Contains("12 Euler steps, guidance 1.5, text noise 0.25", report.ToMarkdown());
        Assert.Contains("\"text_noise\": 0.25", report.ToJson());
    }

    [Fact]
    public void TheReportBreaksShapeAccuracyDownByTheExpectedShape()
    {
        var tally = new ShapeTally();
        tally.Add(Shape.Star, ShapeSize.Large, correct: true);
        tally.Add(Shape.Star, ShapeSize.Small, correct: false);
        tally.Add(Shape.Star, ShapeSize.Small, correct: false);
        tally.Add(Shape.Circle, ShapeSize.Large, correct: true);
        Assert.Equal(new Dictionary<Shape, int> { [Shape.Circle] = 1, [Shape.Star] = 3 }, tally.Counts);
        Assert.Equal(1.0 / 3, tally.Accuracy[Shape.Star], 9);
        Assert.Equal(1.0, tally.Accuracy[Shape.Circle]);
        Assert.False(tally.Accuracy.ContainsKey(Shape.Square)); // never expected: no figure rather than 0 %
        Assert.Equal(0.0, tally.Of(ShapeSize.Small).Accuracy[Shape.Star]);
        Assert.Equal(new Dictionary<Shape, int> { [Shape.Circle] = 1, [Shape.Star] = 1 }, tally.Of(ShapeSize.Large).Counts);

        var report = Report(DatasetSplit.Test) with { ShapeByShape = [.. ShapeAccuracyRow.WithSizes("text-to-image", tally)] };
        var md = report.ToMarkdown();
        Assert.Contains("(n: circle 1, star 3)", md);
        Assert.Contains("| direction | circle | star |", md);
        Assert.Contains("| text-to-image | 100.0 % | 33.3 % |", md);
        Assert.Contains("| text-to-image, small | – | 0.0 % |", md); // no small circles
        Assert.Contains("| text-to-image, large | 100.0 % | 100.0 % |", md);
        Assert.Contains("\"direction\": \"text-to-image\"", report.ToJson());
    }
}
