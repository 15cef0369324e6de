using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Sampling;

/// <summary>
/// Euler ODE solver for FlowTok's flow from t = 0 (source tokens) to t = 1 (target tokens), with the reference's
/// exact grid: the model is evaluated at linspace(0, 1 - 1e-5, N)[i] and step i advances by
/// sigma[i+1] - sigma[i], sigma = linspace(1e-5, 1, N + 1). Plain math, not a module.
/// </summary>
public sealed class EulerFlowSampler
{
    public const double SigmaMin = 1e-5;

    private float[] timesteps = [];
    private float[] stepSizes = [];

    /// <summary>Flow times at which the model is evaluated, one per step.</summary>
    public IReadOnlyList<float> Timesteps => timesteps;

    /// <summary>Increment of the flow time for each step.</summary>
    public IReadOnlyList<float> StepSizes => stepSizes;

    public int Steps => timesteps.Length;

    public void SetTimesteps(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "the sampler needs at least one step");
        // float32 linspace, like the reference's torch.linspace, so the grid is bit-identical.
        using var t = torch.linspace(0.0, (float)(1.0 - SigmaMin), steps, dtype: ScalarType.Float32);
        using var sigma = torch.linspace(SigmaMin, 1.0, steps + 1, dtype: ScalarType.Float32);
        using var d = sigma[1..] - sigma[..^1];
        timesteps = t.data<float>().ToArray();
        stepSizes = d.data<float>().ToArray();
    }

    /// <summary>x_{i+1} = x_i + v * dsigma_i.</summary>
    public Tensor Step(Tensor velocity, int step, Tensor x) => x + velocity * stepSizes[step];

    /// <summary>Classifier-free guidance: v = v_null + s (v_cond - v_null).</summary>
    public static Tensor Guide(Tensor conditional, Tensor unconditional, double scale) =>
        unconditional + (conditional - unconditional) * scale;

    /// <summary>Training interpolation x_t = (1 - (1 - sigma_min) t) x0 + t x1, t broadcast per sample.</summary>
    public static Tensor Interpolate(Tensor x0, Tensor x1, Tensor t)
    {
        var tt = t.view([t.shape[0], .. Enumerable.Repeat(1L, (int)x0.dim() - 1)]);
        return (1 - (1 - SigmaMin) * tt) * x0 + tt * x1;
    }

    /// <summary>Training target velocity x1 - (1 - sigma_min) x0.</summary>
    public static Tensor TargetVelocity(Tensor x0, Tensor x1) => x1 - (1 - SigmaMin) * x0;
}
