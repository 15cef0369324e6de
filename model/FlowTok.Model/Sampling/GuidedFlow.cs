using FlowTok.Model.Flow;
using FlowTok.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Sampling;

/// <summary>Progress of a sampling run: step <see cref="Step"/> of <see cref="Steps"/> has finished.</summary>
public readonly record struct SamplingProgress(int Step, int Steps);

/// <summary>
/// Integrates a flow transformer from x0 (t = 0) to t = 1 with classifier-free guidance. The conditional
/// (y = 0) and null (y = 1) passes run as ONE batch of 2B by default; <c>batchedGuidance: false</c> runs them
/// as two passes like the reference (same numbers, twice the launches). The state is kept in float32 whatever
/// the model's dtype, so bf16 models only round inside the forward. <c>keepRows</c>, asked after every step, may
/// shrink the batch to the listed rows (in order); the result then holds only the rows still kept.
/// </summary>
public static class GuidedFlow
{
    /// <summary>Sets up the reference Euler grid for <paramref name="steps"/> steps and integrates.</summary>
    public static Tensor Sample(FlowTransformer flow, Tensor x0, int steps, double guidance, bool batchedGuidance,
        IProgress<SamplingProgress>? progress, CancellationToken cancellationToken, Func<SamplingProgress, long[]?>? keepRows = null,
        Pipelines.FlowSolver solver = Pipelines.FlowSolver.Euler)
    {
        if (solver == Pipelines.FlowSolver.Heun)
        {
            var heun = new HeunFlowSampler();
            heun.SetTimesteps(steps);
            return SampleHeun(flow, heun, x0, guidance, batchedGuidance, progress, cancellationToken);
        }
        var sampler = new EulerFlowSampler();
        sampler.SetTimesteps(steps);
        return Sample(flow, sampler, x0, guidance, batchedGuidance, progress, cancellationToken, keepRows);
    }

    /// <summary>
    /// One guided Euler step for rows that each sample on their own: row i is at flow time <paramref name="t"/>[i], uses
    /// guidance scale <paramref name="guidance"/>[i] (v = v_null + s (v_cond - v_null)) and advances by
    /// <paramref name="stepSize"/>[i]. All rows share one forward (cond and null passes as one 2B batch when
    /// <paramref name="batchedGuidance"/>), so rows at different steps, with other guidance scales or step counts, run
    /// together. Per row this is the same arithmetic as <see cref="Sample(FlowTransformer, EulerFlowSampler, Tensor, double, bool, IProgress{SamplingProgress}?, CancellationToken, Func{SamplingProgress, long[]?}?)"/>
    /// (float32 state, the scale and step size applied in float32), so a row's result depends on its companions only
    /// through the forward's float rounding. x [B, tokens, C] float32; t, guidance, stepSize [B] float32. Returns the new x.
    /// </summary>
    public static Tensor StepRows(FlowTransformer flow, Tensor x, Tensor t, Tensor guidance, Tensor stepSize, bool batchedGuidance = true)
    {
        long b = x.shape[0];
        if (t.shape[0] != b || guidance.shape[0] != b || stepSize.shape[0] != b)
            throw new ArgumentException($"{b} rows but {t.shape[0]} times, {guidance.shape[0]} guidance scales and {stepSize.shape[0]} step sizes");
        var modelType = flow.parameters().First().dtype;
        var device = x.device;
        using var noGrad = torch.no_grad();
        return NativeCallGuard.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            var xm = x.to(modelType);
            var times = t.to(ScalarType.Float32).to(device);
            var yCond = torch.zeros(b, dtype: ScalarType.Int64, device: device);
            var yNull = torch.ones(b, dtype: ScalarType.Int64, device: device);
            Tensor cond, uncond;
            if (batchedGuidance)
            {
                var both = flow.forward(torch.cat([xm, xm]), torch.cat([times, times]), torch.cat([yCond, yNull])).to(ScalarType.Float32).chunk(2);
                (cond, uncond) = (both[0], both[1]);
            }
            else
            {
                cond = flow.forward(xm, times, yCond).to(ScalarType.Float32);
                uncond = flow.forward(xm, times, yNull).to(ScalarType.Float32);
            }
            var s = guidance.to(ScalarType.Float32).to(device).view(b, 1, 1);
            var v = uncond + (cond - uncond) * s;
            var next = x.to(ScalarType.Float32) + v * stepSize.to(ScalarType.Float32).to(device).view(b, 1, 1);
            return next.MoveToOuterDisposeScope();
        });
    }

    public static Tensor Sample(
        FlowTransformer flow,
        EulerFlowSampler sampler,
        Tensor x0,
        double guidance,
        bool batchedGuidance = true,
        IProgress<SamplingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        Func<SamplingProgress, long[]?>? keepRows = null)
    {
        if (sampler.Steps == 0) throw new InvalidOperationException("call SetTimesteps on the sampler first");
        var modelType = flow.parameters().First().dtype;
        var device = x0.device;
        long b = x0.shape[0];

        var x = x0.to(ScalarType.Float32).detach().clone();
        var yCond = torch.zeros(b, dtype: ScalarType.Int64, device: device);
        var yNull = torch.ones(b, dtype: ScalarType.Int64, device: device);
        var yBoth = torch.cat([yCond, yNull]);
        using var noGrad = torch.no_grad();
        for (int i = 0; i < sampler.Steps && b > 0; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int step = i;
            var current = x;
            // One step per no-GC region: see NativeCallGuard (TorchSharp temporaries must not be collected mid-call).
            var next = NativeCallGuard.Run(() =>
            {
                using var scope = torch.NewDisposeScope();
                var xm = current.to(modelType);
                Tensor v;
                if (batchedGuidance)
                {
                    var t = torch.full(2 * b, sampler.Timesteps[step], dtype: ScalarType.Float32, device: device);
                    var both = flow.forward(torch.cat([xm, xm]), t, yBoth).to(ScalarType.Float32).chunk(2);
                    v = EulerFlowSampler.Guide(both[0], both[1], guidance);
                }
                else
                {
                    var t = torch.full(b, sampler.Timesteps[step], dtype: ScalarType.Float32, device: device);
                    var cond = flow.forward(xm, t, yCond).to(ScalarType.Float32);
                    var uncond = flow.forward(xm, t, yNull).to(ScalarType.Float32);
                    v = EulerFlowSampler.Guide(cond, uncond, guidance);
                }
                return sampler.Step(v, step, current).MoveToOuterDisposeScope();
            });
            x.Dispose();
            x = next;
            progress?.Report(new SamplingProgress(i + 1, sampler.Steps));
            // Rows whose requests were cancelled leave the batch here (their remaining steps are never computed).
            if (keepRows?.Invoke(new SamplingProgress(i + 1, sampler.Steps)) is { } keep && keep.Length < b)
            {
                using var index = torch.tensor(keep, dtype: ScalarType.Int64, device: device);
                var kept = x.index_select(0, index);
                x.Dispose();
                x = kept;
                b = keep.Length;
                foreach (var y in (Tensor[])[yCond, yNull, yBoth]) y.Dispose();
                yCond = torch.zeros(b, dtype: ScalarType.Int64, device: device);
                yNull = torch.ones(b, dtype: ScalarType.Int64, device: device);
                yBoth = torch.cat([yCond, yNull]);
            }
        }
        foreach (var y in (Tensor[])[yCond, yNull, yBoth]) y.Dispose();
        return x;
    }

    /// <summary>Integrates with Heun's method (two guided evaluations per step, each with cond and null batched when
    /// <paramref name="batchedGuidance"/>); the state stays float32 like <see cref="Sample(FlowTransformer, EulerFlowSampler, Tensor, double, bool, IProgress{SamplingProgress}?, CancellationToken, Func{SamplingProgress, long[]?}?)"/>.</summary>
    public static Tensor SampleHeun(FlowTransformer flow, HeunFlowSampler sampler, Tensor x0, double guidance, bool batchedGuidance = true,
        IProgress<SamplingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (sampler.Steps == 0) throw new InvalidOperationException("call SetTimesteps on the sampler first");
        var modelType = flow.parameters().First().dtype;
        var device = x0.device;
        long b = x0.shape[0];
        using var noGrad = torch.no_grad();
        using var yCond = torch.zeros(b, dtype: ScalarType.Int64, device: device);
        using var yNull = torch.ones(b, dtype: ScalarType.Int64, device: device);
        using var yBoth = torch.cat([yCond, yNull]);
        Tensor Velocity(Tensor x, float time)
        {
            var xm = x.to(modelType);
            if (batchedGuidance)
            {
                var both = flow.forward(torch.cat([xm, xm]), torch.full(2 * b, time, dtype: ScalarType.Float32, device: device), yBoth)
                    .to(ScalarType.Float32).chunk(2);
                return EulerFlowSampler.Guide(both[0], both[1], guidance);
            }
            var t = torch.full(b, time, dtype: ScalarType.Float32, device: device);
            return EulerFlowSampler.Guide(flow.forward(xm, t, yCond).to(ScalarType.Float32), flow.forward(xm, t, yNull).to(ScalarType.Float32), guidance);
        }
        var x = x0.to(ScalarType.Float32).detach().clone();
        for (int i = 0; i < sampler.Steps; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int step = i;
            var current = x;
            var next = NativeCallGuard.Run(() =>
            {
                using var scope = torch.NewDisposeScope();
                var v = Velocity(current, sampler.Grid[step]);
                var predicted = sampler.Predict(v, step, current);
                var v2 = Velocity(predicted, sampler.Grid[step + 1]);
                return sampler.Correct(v, v2, step, current).MoveToOuterDisposeScope();
            });
            x.Dispose();
            x = next;
            progress?.Report(new SamplingProgress(i + 1, sampler.Steps));
        }
        return x;
    }
}
