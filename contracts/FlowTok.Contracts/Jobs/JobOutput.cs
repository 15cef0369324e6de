namespace FlowTok.Contracts.Jobs;

/// <summary>One finished item of a job: a generated image (a file id in the result store) or a caption.</summary>
[GenerateSerializer, Immutable]
public sealed record JobOutput
{
    [Id(0)] public required int Index { get; init; }
    [Id(1)] public string? FileId { get; init; }
    [Id(2)] public string? Caption { get; init; }
    [Id(3)] public long Seed { get; init; }
}
