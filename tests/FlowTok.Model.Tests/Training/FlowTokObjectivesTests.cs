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
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void AStartShareMovesThatShareOfSamplesToTimeZeroAndLeavesTheRest(double share)
    {
        using var g = new Generator(13);
        using var t = FlowTokObjectives.UniformTime(Draws, g);
        using var moved = FlowTokObjectives.WithStartTimes(t, g, share);
        using var atZero = moved == 0;
        Assert.InRange(atZero.to(ScalarType.Float32).mean().item<float>(), share - 0.01, share + 0.01);
        // Every other sample keeps its own time.
        using var kept = moved.masked_select(atZero.logical_not());
        using var original = t.masked_select(atZero.logical_not());
        Assert.True(kept.equal(original).all().item<bool>());
    }

    [Fact]
    public void NoStartShareDrawsNothing()
    {
        using var g1 = new Generator(17);
        using var g2 = new Generator(17);
        using var t = FlowTokObjectives.UniformTime(8, g1);
        Assert.Same(t, FlowTokObjectives.WithStartTimes(t, g1, 0));
        // The generator is where it was: the next draws agree with an untouched generator's.
        using var _ = FlowTokObjectives.UniformTime(8, g2);
        Assert.True(torch.rand(4, generator: g1).equal(torch.rand(4, generator: g2)).all().item<bool>());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void AStartShareOutsideZeroToOneIsRefused(double share)
    {
        using var g = new Generator(1);
        using var t = torch.rand(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowTokObjectives.WithStartTimes(t, g, share));
    }
}
