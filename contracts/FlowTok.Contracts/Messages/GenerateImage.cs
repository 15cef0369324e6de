namespace FlowTok.Contracts.Messages;

/// <summary>Command: make image <see cref="Index"/> of job <see cref="JobId"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record GenerateImage
{
    [Id(0)] public required string JobId { get; init; }
    [Id(1)] public required int Index { get; init; }
    [Id(2)] public required string TenantId { get; init; }
    [Id(3)] public required string Prompt { get; init; }
    [Id(4)] public required long Seed { get; init; }
    [Id(5)] public int Steps { get; init; } = Models.PaperSampling.Steps;
    [Id(6)] public double GuidanceScale { get; init; } = Models.PaperSampling.GuidanceScale;
    /// <summary>Scale of the text VAE's sampling noise; null means the model's default.</summary>
    [Id(7)] public double? TextNoise { get; init; }
    /// <summary>The model (its id) whose replicas run it; null: each model silo's first model (jobs queued before models had ids).</summary>
    [Id(8)] public string? Model { get; init; }
    /// <summary>The tenant's weight (its share of device time); carried so a model silo needs no tenant directory.</summary>
    [Id(20)] public double TenantWeight { get; init; } = 1;
    [Id(21)] public FlowTok.Contracts.Jobs.JobPriority Priority { get; init; }
    /// <summary>Dropped, and failed with the reason, if not started on a device by then.</summary>
    [Id(22)] public DateTimeOffset? Deadline { get; init; }
    /// <summary>Previews of the image to report to the job while it is sampled (0..<see cref="Limits.MaxPartialImages"/>).</summary>
    [Id(30)] public int Previews { get; init; }
}
