namespace FlowTok.Model.Pipelines;

/// <summary>Sampling settings of one generation; defaults are the paper's (20 Euler steps, guidance 2).</summary>
public sealed record GenerationOptions
{
    public const int MaxSteps = 1000;
    public const double MaxGuidance = 50;
    public const double MaxTextNoise = 4;

    public int Steps { get; init; } = 20;
    public double GuidanceScale { get; init; } = 2.0;
    /// <summary>Scale of the text VAE's sampling noise: Z_T = mu + s * sigma * eps. 1 (the paper's sampling) varies the image
    /// with the seed; 0 starts every seed's flow from the text tokens' mean (one image per prompt). A small model may draw the
    /// prompt more faithfully below 1, like a lower sampling temperature; a model directory names its own in its defaults.</summary>
    public double TextNoise { get; init; } = 1.0;
    /// <summary>The ODE solver: Euler (the paper's; <see cref="Steps"/> network evaluations) or Heun (second order;
    /// 2 x <see cref="Steps"/> evaluations).</summary>
    public FlowSolver Solver { get; init; } = FlowSolver.Euler;
    /// <summary>Network evaluations (cond + null count once: they share a batch) of one sampling run.</summary>
    public int Evaluations => Solver == FlowSolver.Heun ? 2 * Steps : Steps;
    /// <summary>Run the conditional and null passes as one 2B batch (default) or as two passes.</summary>
    public bool BatchedGuidance { get; init; } = true;

    public void Validate()
    {
        if (Steps < 1 || Steps > MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"steps must be between 1 and {MaxSteps}");
        if (double.IsNaN(GuidanceScale) || GuidanceScale < 0 || GuidanceScale > MaxGuidance)
            throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, $"guidance scale must be between 0 and {MaxGuidance}");
        if (!Enum.IsDefined(Solver))
            throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "solver must be euler or heun");
        if (double.IsNaN(TextNoise) || TextNoise < 0 || TextNoise > MaxTextNoise)
            throw new ArgumentOutOfRangeException(nameof(TextNoise), TextNoise, $"text noise must be between 0 and {MaxTextNoise}");
    }
}

/// <summary>How the flow's ODE is integrated.</summary>
public enum FlowSolver
{
    Euler,
    Heun,
}
