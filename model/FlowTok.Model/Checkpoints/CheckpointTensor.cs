using static TorchSharp.torch;

namespace FlowTok.Model.Checkpoints;

/// <summary>One tensor's description as stored in a checkpoint, without its data.</summary>
public sealed record CheckpointTensor(string Name, ScalarType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    public long ByteCount => ElementCount * StateDict.ElementSize(DType);

    public override string ToString() => $"{Name} {DType} {StateDict.FormatShape(Shape)}";
}
