namespace FlowTok.Model.Checkpoints;

/// <summary>A tensor present in both checkpoint and module whose shapes differ.</summary>
public sealed record ShapeMismatch(string Name, long[] CheckpointShape, long[] ModelShape)
{
    public override string ToString() =>
        $"{Name}: checkpoint {StateDict.FormatShape(CheckpointShape)} vs model {StateDict.FormatShape(ModelShape)}";
}
