namespace FlowTok.Model.Pipelines;

/// <summary>Sampling settings of one generation; defaults are the paper's (20 Euler steps, guidance 2).</summary>
public sealed record GenerationOptions
{
    public const int MaxSteps = 1000;
    public const double MaxGuidance = 50;

    public int Steps { get; init; } = 20;
    public double GuidanceScale { get; init; } = 2.0;
    /// <summary>Run the conditional and null passes as one 2B batch (default) or as two passes.</summary>
    public bool BatchedGuidance { get; init; } = true;

    public void Validate()
    {
        if (Steps < 1 || Steps > MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"steps must be between 1 and {MaxSteps}");
        if (double.IsNaN(GuidanceScale) || GuidanceScale < 0 || GuidanceScale > MaxGuidance)
            throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, $"guidance scale must be between 0 and {MaxGuidance}");
    }
}
