namespace FlowTok.Contracts.Models;

/// <summary>What a loaded model can do. <see cref="Version"/> namespaces caches (prompt encodings, outputs).</summary>
[GenerateSerializer, Immutable]
public sealed record ModelDescriptor
{
    [Id(0)] public required string Version { get; init; }
    [Id(1)] public required int ImageSize { get; init; }
    [Id(2)] public required bool TextToImage { get; init; }
    [Id(3)] public required bool ImageToText { get; init; }
    /// <summary>The model's id (what clients name in <c>model</c>): its Model:Served entry's Id, else the directory's name.</summary>
    [Id(4)] public string Name { get; init; } = "flowtok";
    /// <summary>The model's place in its silo's Model:Served list (0 = the first): a request naming no model gets the
    /// served model with the lowest position that can do the task.</summary>
    [Id(5)] public int Position { get; init; }
    /// <summary>The model's own sampling defaults (its <c>model_index.json</c>): what a request that leaves out <c>steps</c> or
    /// <c>guidance_scale</c> gets. 0 = none stated (<see cref="PaperSampling"/> then).</summary>
    [Id(6)] public int DefaultSteps { get; init; }
    [Id(7)] public double DefaultGuidanceScale { get; init; }
}
