namespace FlowTok.Model.Checkpoints;

/// <summary>
/// Thrown by a strict <see cref="StateDict.LoadInto"/>; the message names every missing, unexpected and
/// mis-shaped key because "size mismatch" without names is useless on a 700-tensor model.
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    public CheckpointMismatchException(LoadReport report)
        : base(report.Describe()) => Report = report;

    public LoadReport Report { get; }

    public IReadOnlyList<string> MissingKeys => Report.Missing;

    public IReadOnlyList<string> UnexpectedKeys => Report.Unexpected;

    public IReadOnlyList<ShapeMismatch> MisShapedKeys => Report.MisShaped;
}
