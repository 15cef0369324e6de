using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Text;

/// <summary>
/// The text VAE's own LayerNorm: g * (x - mean) / (std + eps) + b with the UNBIASED std and eps added to the std,
/// not the variance. It differs from nn.LayerNorm in both respects, so published weights need exactly this.
/// </summary>
public sealed class ReferenceLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter g;
    private readonly Parameter b;
    private readonly double eps;

    public ReferenceLayerNorm(long size, double eps) : base(nameof(ReferenceLayerNorm))
    {
        this.eps = eps;
        g = nn.Parameter(torch.ones(size));
        b = nn.Parameter(torch.zeros(size));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var mean = x.mean([-1], keepdim: true);
        var std = x.std(-1, unbiased: true, keepdim: true);
        return (g * (x - mean) / (std + eps) + b).MoveToOuterDisposeScope();
    }
}
