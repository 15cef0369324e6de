using FlowTok.Model.Flow;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Solvers;

public sealed class HeunFlowSamplerTests
{
    private static double Integrate(HeunFlowSampler sampler, Func<Tensor, float, Tensor> velocity, double x0)
    {
        var x = torch.tensor(new[] { x0 }, dtype: ScalarType.Float64);
        for (int i = 0; i < sampler.Steps; i++)
        {
            var v = velocity(x, sampler.Grid[i]);
            var v2 = velocity(sampler.Predict(v, i, x), sampler.Grid[i + 1]);
            x = sampler.Correct(v, v2, i, x);
        }
        return x.item<double>();
    }

    [Fact]
    public void TheGridEndsWhereEulersDoesAndCostsTwoEvaluationsAStep()
    {
        var sampler = new HeunFlowSampler();
        sampler.SetTimesteps(6);
        Assert.Equal(7, sampler.Grid.Count);
        Assert.Equal(0f, sampler.Grid[0]);
        Assert.Equal((float)(1 - EulerFlowSampler.SigmaMin), sampler.Grid[^1]);
        Assert.Equal(12, sampler.Evaluations);
        Assert.Equal(12, new GenerationOptions { Steps = 6, Solver = FlowSolver.Heun }.Evaluations);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.SetTimesteps(0));
    }

    [Fact]
    public void ItIsExactForAVelocityLinearInTimeAndSecondOrderOtherwise()
    {
        var sampler = new HeunFlowSampler();
        sampler.SetTimesteps(3);
        double end = sampler.Grid[^1];
        // dx/dt = 3t + 1: the trapezoid rule is exact, Euler is not.
        Assert.Equal(2 + 1.5 * end * end + end, Integrate(sampler, (_, t) => torch.full(1, 3.0 * t + 1, dtype: ScalarType.Float64), 2), 5);
        // dx/dt = x: halving the step divides Heun's error by about 4 (second order).
        double Error(int steps)
        {
            sampler.SetTimesteps(steps);
            return Math.Abs(Integrate(sampler, (x, _) => x, 1) - Math.Exp(sampler.Grid[^1]));
        }
        double ratio = Error(8) / Error(16);
        Assert.InRange(ratio, 3.5, 4.5);
    }

    [Fact]
    public void HeunAndEulerConvergeToTheSameFlowOnARealTransformer()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var flow = new FlowTransformer(new FlowTransformerConfig { Hidden = 32, Depth = 2, Heads = 2, Channels = 4, Tokens = 8 });
        flow.eval();
        // adaLN-Zero starts with a zero velocity everywhere: give every weight a small random value.
        using (torch.no_grad())
            foreach (var p in flow.parameters()) p.normal_(0, 0.05);
        var x0 = torch.randn(2, 8, 4);
        var fine = GuidedFlow.Sample(flow, x0, 400, 2.0, true, null, CancellationToken.None);
        double HeunError(int steps) => (GuidedFlow.Sample(flow, x0, steps, 2.0, true, null, CancellationToken.None, solver: FlowSolver.Heun) - fine).abs().max().item<float>();
        double EulerError(int steps) => (GuidedFlow.Sample(flow, x0, steps, 2.0, true, null, CancellationToken.None) - fine).abs().max().item<float>();
        // At the same number of network evaluations Heun lands nearer the converged flow than Euler.
        Assert.True(HeunError(4) < EulerError(8), $"Heun 4 steps {HeunError(4):g3}, Euler 8 steps {EulerError(8):g3}");
        Assert.True(HeunError(8) < HeunError(4));
    }
}
