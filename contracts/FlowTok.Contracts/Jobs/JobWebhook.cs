namespace FlowTok.Contracts.Jobs;

/// <summary>Where a job's end is announced (the request's <c>webhook_url</c> or the tenant's default), and the base of the
/// result links in it (the gateway's, as it took the job: silos do not know it).</summary>
[GenerateSerializer, Immutable]
public sealed record JobWebhook
{
    [Id(0)] public required string Url { get; init; }
    [Id(1)] public required string LinksBaseUrl { get; init; }
}
