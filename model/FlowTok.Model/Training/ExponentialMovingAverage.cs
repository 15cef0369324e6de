using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Training;

/// <summary>Shadow copies of a module's floating-point parameters and buffers, updated as ema = d ema + (1 - d) w.</summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly Dictionary<string, Tensor> shadow;
    private readonly double decay;

    public ExponentialMovingAverage(nn.Module module, double decay)
    {
        this.decay = decay;
        using var noGrad = torch.no_grad();
        shadow = module.state_dict()
            .Where(kv => kv.Value.is_floating_point())
            .ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    public IReadOnlyDictionary<string, Tensor> Weights => shadow;

    public void Update(nn.Module module, int step)
    {
        // Early on the average would be dominated by the random initialisation: ramp the decay up.
        double d = Math.Min(decay, (1.0 + step) / (10.0 + step));
        using var noGrad = torch.no_grad();
        foreach (var (name, value) in module.state_dict())
            if (shadow.TryGetValue(name, out var average))
                average.mul_(d).add_(value.detach(), alpha: 1 - d);
    }

    /// <summary>Replaces the shadow weights (when resuming).</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> weights)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, average) in shadow)
            if (weights.TryGetValue(name, out var saved)) average.copy_(saved);
    }

    /// <summary>A full state dict: EMA weights where tracked, the module's own tensors otherwise.</summary>
    public Dictionary<string, Tensor> StateDict(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => shadow.TryGetValue(kv.Key, out var a) ? a : kv.Value);

    public void Dispose()
    {
        foreach (var t in shadow.Values) t.Dispose();
    }
}
