namespace FlowTok.Contracts.Jobs;

/// <summary>
/// A preview of item <see cref="Index"/>: the model's estimate of its final image after step <see cref="Step"/> of
/// <see cref="Steps"/>, a PNG of the model's native size (a few KB: small enough for a message). <see cref="PartialIndex"/>
/// counts the item's previews from 0 (OpenAI's <c>partial_image_index</c>); <see cref="Sequence"/> orders the job's
/// previews (set by the job, from 1).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JobPreview
{
    [Id(0)] public required int Index { get; init; }
    [Id(1)] public required int PartialIndex { get; init; }
    [Id(2)] public required int Step { get; init; }
    [Id(3)] public required int Steps { get; init; }
    [Id(4)] public required byte[] Png { get; init; }
    [Id(5)] public int Sequence { get; init; }
}
