using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Batching;

/// <summary>The reference Euler grid per step count (rows with other step counts each keep their own).</summary>
internal sealed class EulerGrids
{
    private readonly Dictionary<int, EulerFlowSampler> grids = [];

    public EulerFlowSampler For(int steps)
    {
        if (!grids.TryGetValue(steps, out var grid))
        {
            grid = new EulerFlowSampler();
            grid.SetTimesteps(steps);
            grids[steps] = grid;
        }
        return grid;
    }
}

/// <summary>One guided Euler step over rows that each carry their latent and grid.</summary>
internal static class EulerRows
{
    internal interface IState : IDisposable
    {
        Tensor X { get; set; }
        EulerFlowSampler Grid { get; }
    }

    public static void Step(Model.Flow.FlowTransformer flow, IReadOnlyList<StepRow> rows, bool batchedGuidance)
    {
        var states = rows.Select(r => (IState)r.State!).ToList();
        var next = NativeCallGuard.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.cat(states.Select(s => s.X).ToArray());
            var t = torch.tensor(rows.Select((r, i) => states[i].Grid.Timesteps[r.StepsDone]).ToArray());
            var guidance = torch.tensor(rows.Select(r => (float)r.Settings.Guidance).ToArray());
            var stepSize = torch.tensor(rows.Select((r, i) => states[i].Grid.StepSizes[r.StepsDone]).ToArray());
            var stepped = GuidedFlow.StepRows(flow, x, t, guidance, stepSize, batchedGuidance);
            return stepped.split(1).Select(p => p.DetachFromDisposeScope()).ToArray();
        });
        // All rows stepped: only now replace their state (a failed step left every row as it was).
        for (int i = 0; i < states.Count; i++)
        {
            states[i].X.Dispose();
            states[i].X = next[i];
        }
    }
}
