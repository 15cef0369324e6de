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
    [Id(5)] public int Steps { get; init; } = Models.PaperSampling.Steps;
    [Id(6)] public double GuidanceScale { get; init; } = Models.PaperSampling.GuidanceScale;
    /// <summary>Caption: the stored upload; null while the job waits for the gateway to store it after admission.</summary>
    [Id(7)] public string? InputFileId { get; init; }
    /// <summary>Hash of the canonical request: idempotent resubmissions must match it.</summary>
    [Id(8)] public string RequestHash { get; init; } = "";
    /// <summary>Generation: scale of the text VAE's sampling noise; null means the served model's default.</summary>
    [Id(9)] public double? TextNoise { get; init; }
    /// <summary>Interactive (synchronous requests) or batch (async jobs): the devices' scheduler serves interactive work first.</summary>
    [Id(10)] public JobPriority Priority { get; init; } = JobPriority.Interactive;
    /// <summary>Work not started on a device by then is dropped (it fails with the reason); null: the job's timeout decides.</summary>
    [Id(11)] public DateTimeOffset? Deadline { get; init; }
    /// <summary>The tenant's share weight when the job was admitted (device time is divided among tenants by weight).</summary>
    [Id(12)] public double TenantWeight { get; init; } = 1;
    /// <summary>The client's end-user ids (OpenAI's <c>user</c> and <c>safety_identifier</c>): kept and shown to the tenant, never used.</summary>
    [Id(13)] public string? User { get; init; }
    [Id(14)] public string? SafetyIdentifier { get; init; }
    /// <summary>The served model (its id, as <c>GET /v1/models</c> lists it) whose replicas run the items; the gateway names the
    /// default when the request names none. Null: each model silo's first model.</summary>
    [Id(15)] public string? Model { get; init; }
    /// <summary>Generation: previews per image (OpenAI's <c>partial_images</c>), kept in the job's memory for streams; 0 = none.</summary>
    [Id(30)] public int Previews { get; init; }
    /// <summary>The webhook told when the job ends (succeeded, failed or cancelled); null: none.</summary>
    [Id(40)] public JobWebhook? Webhook { get; init; }
}
