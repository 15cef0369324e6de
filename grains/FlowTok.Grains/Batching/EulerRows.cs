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
        /// <summary>After a step followed by a preview (<see cref="StepRow.PreviewNext"/>): that step's estimate of the final
        /// latents, x_t + (1 - t) v; taken (and disposed) by the preview.</summary>
        Tensor? Estimate { get; set; }
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
            var rowsNext = stepped.split(1);
            var estimates = rows.Select((r, i) => r.PreviewNext ? Estimate(states[i], r.StepsDone, rowsNext[i]).DetachFromDisposeScope() : null).ToArray();
            return (X: rowsNext.Select(p => p.DetachFromDisposeScope()).ToArray(), Estimates: estimates);
        });
        // All rows stepped: only now replace their state (a failed step left every row as it was).
        for (int i = 0; i < states.Count; i++)
        {
            states[i].X.Dispose();
            states[i].X = next.X[i];
            states[i].Estimate?.Dispose();
            states[i].Estimate = next.Estimates[i];
        }
    }

    /// <summary>
    /// The step's estimate of the final latents: from x_t with velocity v the line reaches t = 1 at x_t + (1 - t) v. The
    /// step's v is (x_next - x_t) / dt, so this needs no extra forward; it is computed beside the step and changes nothing in it.
    /// </summary>
    private static Tensor Estimate(IState state, int step, Tensor next)
    {
        double t = state.Grid.Timesteps[step], dt = state.Grid.StepSizes[step];
        var velocity = (next - state.X.to(next.dtype)) / dt;
        return state.X.to(next.dtype) + velocity * (1 - t);
    }
}
