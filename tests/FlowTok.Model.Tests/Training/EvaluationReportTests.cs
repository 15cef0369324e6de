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
}
