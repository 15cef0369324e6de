using FlowTok.Model.Flow;
using FlowTok.Model.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Training;

public sealed class TrainingLoopTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private static FlowTransformerConfig TinyFlow => new() { Hidden = 32, Depth = 1, Heads = 2, Tokens = 4, Channels = 4 };

    /// <summary>A fixed pairing of sources and targets the flow can learn.</summary>
    private static StepResult FlowStep(FlowTransformer flow, int step, Generator g)
    {
        var x0 = torch.randn(16, TinyFlow.Tokens, TinyFlow.Channels, generator: g);
        var x1 = x0.flip(-1) * 0.5 + 1.0;
        var t = FlowTokObjectives.LogitNormalTime(16, g);
        var (indicator, targets) = FlowTokObjectives.NullIndicator(x1, g);
        return new StepResult(FlowTokObjectives.FlowMatching(flow, x0, targets, t, indicator).mean());
    }

    [Fact]
    public void AFewStepsOfFlowMatchingLowerTheLoss()
    {
        torch.manual_seed(1);
        using var flow = new FlowTransformer(TinyFlow);
        var options = new TrainingOptions { Steps = 150, WarmupSteps = 10, LearningRate = 3e-3, CheckpointEvery = 1000 };
        var loop = new TrainingLoop("flow", [("flow", flow)], options, temp.File("ckpt"));
        var losses = new List<double>();
        loop.Run((s, g) => FlowStep(flow, s, g), new Sync(p => losses.Add(p.Loss)));

        Assert.Equal(options.Steps, losses.Count);
        double early = losses.Take(10).Average(), late = losses.TakeLast(10).Average();
        Assert.True(late < 0.6 * early, $"loss {early:F3} -> {late:F3}");
        Assert.True(File.Exists(Path.Combine(temp.File("ckpt"), "flow.ema.safetensors")), "a final checkpoint is written");
    }

    [Fact]
    public void AResumedRunEndsWhereAnUninterruptedOneDoes()
    {
        var options = new TrainingOptions { Steps = 20, WarmupSteps = 2, CheckpointEvery = 10, EmaDecay = 0.9 };

        // The global RNG is shared with test classes running in parallel: copy the initial weights explicitly.
        using var straight = new FlowTransformer(TinyFlow);
        using var interrupted = new FlowTransformer(TinyFlow);
        FlowTok.Model.Checkpoints.StateDict.LoadInto(interrupted, straight.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone()));
        var whole = new TrainingLoop("flow", [("flow", straight)], options, temp.File("a"));
        whole.Run((s, g) => FlowStep(straight, s, g));

        using var cts = new CancellationTokenSource();
        var first = new TrainingLoop("flow", [("flow", interrupted)], options, temp.File("b"));
        Assert.ThrowsAny<OperationCanceledException>(() =>
            first.Run((s, g) => FlowStep(interrupted, s, g), new Sync(p => { if (p.Step == 12) cts.Cancel(); }), cts.Token));

        using var resumed = new FlowTransformer(TinyFlow); // fresh weights: everything must come from the checkpoint
        var second = new TrainingLoop("flow", [("flow", resumed)], options, temp.File("b"));
        var steps = new List<int>();
        second.Run((s, g) => FlowStep(resumed, s, g), new Sync(p => steps.Add(p.Step)));

        Assert.Equal(11, steps.First()); // resumed after the step-10 checkpoint
        foreach (var (name, value) in whole.FinalWeights["flow"])
            Assert.True(value.allclose(second.FinalWeights["flow"][name], rtol: 1e-4, atol: 1e-6), $"{name} differs after resuming");
    }

    [Fact]
    public void NullSamplesGetTheirTargetsShiftedAmongThemselves()
    {
        using var g = new Generator(3);
        var targets = torch.arange(40).to(ScalarType.Float32).view(40, 1);
        var (indicator, shifted) = FlowTokObjectives.NullIndicator(targets, g, probability: 0.3);
        var nulls = Enumerable.Range(0, 40).Where(i => indicator[i].item<long>() == 1).ToArray();
        Assert.True(nulls.Length > 1);
        for (int i = 0; i < 40; i++)
        {
            float got = shifted[i, 0].item<float>();
            if (!nulls.Contains(i)) Assert.Equal(i, got);
            else Assert.Equal(nulls[(Array.IndexOf(nulls, i) + 1) % nulls.Length], got);
        }
    }

    [Fact]
    public void ScheduleWarmsUpThenDecays()
    {
        var o = new TrainingOptions { Steps = 100, WarmupSteps = 10, LearningRate = 1e-3, MinLearningRate = 1e-5 };
        Assert.True(o.LearningRateAt(0) < o.LearningRateAt(5));
        Assert.Equal(1e-3, o.LearningRateAt(10), 9);
        Assert.True(o.LearningRateAt(50) < 1e-3 && o.LearningRateAt(99) < o.LearningRateAt(50));
        Assert.True(o.LearningRateAt(99) >= 1e-5);
    }

    private sealed class Sync(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    public void Dispose() => temp.Dispose();
}
