namespace FlowTok.Contracts.Models;

/// <summary>
/// The published FlowTok's sampling (the paper: 20 Euler steps, guidance 2): what a request gets only when its model
/// states no defaults of its own (a replica that announced none, or a message from before a model stated them). The
/// served model's <c>model_index.json</c> defaults (<see cref="ModelDescriptor.DefaultSteps"/>,
/// <see cref="ModelDescriptor.DefaultGuidanceScale"/>) decide otherwise; <see cref="Limits"/> holds only caps.
/// </summary>
public static class PaperSampling
{
    public const int Steps = 20;
    public const double GuidanceScale = 2.0;
}
