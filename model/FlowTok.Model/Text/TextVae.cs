using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Text;

/// <summary>
/// FlowTok's text side: <c>context_encoder</c> (CLIP states -> mu, logvar of the text tokens Z_T),
/// <c>context_projector</c> (CLIP states -> the space Z_T is aligned to) and the contrastive <c>t2t_temperature</c>.
/// Parameter names equal the reference checkpoint's root-level keys.
/// </summary>
public sealed class TextVae : nn.Module<Tensor, (Tensor Mu, Tensor LogVar)>
{
    private readonly TextVaeEncoder context_encoder;
    private readonly Sequential context_projector;
    private readonly Parameter? t2t_temperature;

    public TextVaeConfig Config { get; }

    public TextVae(TextVaeConfig config) : base(nameof(TextVae))
    {
        config.Validate();
        Config = config;
        context_encoder = new TextVaeEncoder(config);
        context_projector = nn.Sequential(
            nn.Linear(config.Width, config.ProjectorHidden),
            nn.SiLU(),
            nn.Linear(config.ProjectorHidden, config.ProjectorHidden),
            nn.SiLU(),
            nn.Linear(config.ProjectorHidden, config.LatentChannels));
        if (config.LearnedTemperature)
            t2t_temperature = nn.Parameter(torch.tensor((float)Math.Log(1 / 0.07)));
        RegisterComponents();
    }

    /// <summary>CLIP states [B, L, W] -> (mu, logvar), each [B, L, C].</summary>
    public override (Tensor Mu, Tensor LogVar) forward(Tensor clipStates)
    {
        using var scope = torch.NewDisposeScope();
        var parts = context_encoder.forward(clipStates).chunk(2, -1);
        return (parts[0].MoveToOuterDisposeScope(), parts[1].MoveToOuterDisposeScope());
    }

    /// <summary>Z_T = mu + exp(logvar / 2) * eps (the reference samples at inference too).</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor eps) => mu + torch.exp(logVar * 0.5) * eps;

    /// <summary>The alignment target for Z_T: <c>context_projector</c> applied per token.</summary>
    public Tensor Project(Tensor clipStates) => context_projector.forward(clipStates);

    /// <summary>Learned inverse temperature (log scale) of the contrastive loss.</summary>
    public Tensor Temperature => t2t_temperature ?? throw new InvalidOperationException("this text VAE has no t2t_temperature");
}
