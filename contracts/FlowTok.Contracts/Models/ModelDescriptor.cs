namespace FlowTok.Contracts.Models;

/// <summary>What a loaded model can do. <see cref="Version"/> namespaces caches (prompt encodings, outputs).</summary>
[GenerateSerializer, Immutable]
public sealed record ModelDescriptor
{
    [Id(0)] public required string Version { get; init; }
    [Id(1)] public required int ImageSize { get; init; }
    [Id(2)] public required bool TextToImage { get; init; }
    [Id(3)] public required bool ImageToText { get; init; }
    [Id(4)] public string Name { get; init; } = "flowtok";
}
