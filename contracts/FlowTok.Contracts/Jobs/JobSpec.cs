namespace FlowTok.Contracts.Jobs;

/// <summary>
/// What a job asks for, validated by the gateway. Generation: <see cref="Prompt"/> and <see cref="Count"/> images, image i
/// with seed <see cref="Seed"/> + i. Caption: one caption of the uploaded file <see cref="InputFileId"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JobSpec
{
    [Id(0)] public required string TenantId { get; init; }
    [Id(1)] public required JobKind Kind { get; init; }
    [Id(2)] public string? Prompt { get; init; }
    [Id(3)] public int Count { get; init; } = 1;
    [Id(4)] public long Seed { get; init; }
    [Id(5)] public int Steps { get; init; } = Limits.DefaultSteps;
    [Id(6)] public double GuidanceScale { get; init; } = Limits.DefaultGuidance;
    [Id(7)] public string? InputFileId { get; init; }
    /// <summary>Hash of the canonical request: idempotent resubmissions must match it.</summary>
    [Id(8)] public string RequestHash { get; init; } = "";
    /// <summary>Generation: scale of the text VAE's sampling noise; null means the served model's default.</summary>
    [Id(9)] public double? TextNoise { get; init; }
}
