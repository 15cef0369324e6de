using FlowTok.Model.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training;

public sealed class FlowTokObjectivesTests
{
    private const int Draws = 40_000;

    private static double ShareBelow(Tensor t, double limit) => (t < limit).to(ScalarType.Float32).mean().item<float>();

    [Fact]
    public void LogitNormalTimeRarelyReachesTheStartOfTheFlow()
    {
        using var g = new Generator(7);
        using var t = FlowTokObjectives.LogitNormalTime(Draws, g);
        // P(sigmoid(n) < 0.1) = P(n < -2.197) = 1.4 %.
        Assert.InRange(ShareBelow(t, 0.1), 0.010, 0.018);
        Assert.InRange(t.mean().item<float>(), 0.49, 0.51);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void AUniformShareMixesUniformTimesIn(double share)
    {
        using var g = new Generator(11);
        using var t = FlowTokObjectives.LogitNormalTime(Draws, g, share);
        double expected = share * 0.1 + (1 - share) * 0.014;
        Assert.InRange(ShareBelow(t, 0.1), expected - 0.005, expected + 0.005);
        Assert.True(t.min().item<float>() >= 0 && t.max().item<float>() <= 1, "times stay in [0, 1]");
    }
}
