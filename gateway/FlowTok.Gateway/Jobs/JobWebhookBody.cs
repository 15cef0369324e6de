using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// A webhook's body is the job exactly as <c>GET /v1/jobs/{id}</c> answers it (<see cref="JobJson"/>), its result links
/// signed like the gateway's (<see cref="FileLinks"/>: the configured Gateway:LinkSigningKey, or the key the gateways share
/// in Redis), so the receiver downloads the images without an API key. Rendered on the silo that delivers it, which may
/// have no gateway: the link settings are read from configuration here.
/// </summary>
public sealed class JobWebhookBody(IServiceProvider services) : IJobWebhookBody
{
    // The gateway's own where this process has one; else one with the link settings from configuration.
    private readonly Lazy<FileLinks> links = new(() => services.GetService<FileLinks>() ?? ActivatorUtilities.CreateInstance<FileLinks>(services,
        Options.Create(services.GetRequiredService<IConfiguration>().GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions()),
        services.GetService<TimeProvider>() ?? TimeProvider.System));

    public byte[] Render(JobSnapshot job, string linksBaseUrl) =>
        JsonSerializer.SerializeToUtf8Bytes(JobJson.From(job, fileId => links.Value.File(linksBaseUrl, job.TenantId, fileId)), GatewayJson.Options);
}
