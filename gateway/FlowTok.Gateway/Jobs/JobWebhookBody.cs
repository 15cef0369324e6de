using System.Text.Json;
using FlowTok.Contracts.Jobs;
using FlowTok.Infrastructure.Webhooks;

namespace FlowTok.Gateway.Jobs;

/// <summary>A webhook's body is the job exactly as <c>GET /v1/jobs/{id}</c> answers it (<see cref="JobJson"/>).</summary>
public sealed class JobWebhookBody : IJobWebhookBody
{
    public byte[] Render(JobSnapshot job, string linksBaseUrl) => JsonSerializer.SerializeToUtf8Bytes(JobJson.From(job, linksBaseUrl), GatewayJson.Options);
}
