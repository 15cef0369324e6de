using FlowTok.Gateway.Auth;
using FlowTok.Gateway.Jobs;
using FlowTok.Infrastructure.Observability;
using FlowTok.Storage;
using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Apis;

/// <summary>What the API handlers depend on, bound with [AsParameters].</summary>
public sealed class GatewayServices(
    HttpContext http,
    [FromServices] JobSubmitter jobs,
    [FromServices] ServedModels models,
    [FromServices] IOutputCache outputCache,
    [FromServices] IFileStore files,
    [FromServices] IOptions<GatewayOptions> options,
    [FromServices] PlatformMetrics metrics,
    [FromServices] EventStreamLimiter eventStreams,
    [FromServices] FileLinks fileLinks)
{
    public HttpContext Http { get; } = http;
    public JobSubmitter Jobs { get; } = jobs;
    public ServedModels Models { get; } = models;
    public IOutputCache OutputCache { get; } = outputCache;
    public IFileStore Files { get; } = files;
    public IOptions<GatewayOptions> Options { get; } = options;
    public PlatformMetrics Metrics { get; } = metrics;
    public EventStreamLimiter EventStreams { get; } = eventStreams;
    public FileLinks FileLinks { get; } = fileLinks;

    public TenantInfo Tenant => Http.GetTenant();

    public CancellationToken Aborted => Http.RequestAborted;

    public string BaseUrl => Links.BaseUrl(Http.Request, Options.Value);

    /// <summary>A signed download link to the caller's file (works without the API key until it expires).</summary>
    public string FileUrl(string fileId) => FileLinks.File(BaseUrl, Tenant.Id, fileId);

    public string? IdempotencyKey => Http.Request.Headers[GatewayHeaders.IdempotencyKey].FirstOrDefault();

    public JobJson ToJson(FlowTok.Contracts.Jobs.JobSnapshot job) => JobJson.From(job, FileUrl);
}
