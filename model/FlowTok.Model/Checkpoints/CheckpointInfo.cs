namespace FlowTok.Model.Checkpoints;

/// <summary>What <see cref="StateDict.Inspect"/> found in a checkpoint file.</summary>
public sealed record CheckpointInfo(
    string Path,
    CheckpointFormat Format,
    IReadOnlyList<CheckpointTensor> Tensors,
    string Component,
    IReadOnlyDictionary<string, string> Metadata)
{
    public int TensorCount => Tensors.Count;

    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public long TotalBytes => Tensors.Sum(t => t.ByteCount);
}
