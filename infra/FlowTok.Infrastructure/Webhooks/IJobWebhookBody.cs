using FlowTok.Contracts.Jobs;

namespace FlowTok.Infrastructure.Webhooks;

/// <summary>
/// A finished job as a webhook's body: the same JSON as <c>GET /v1/jobs/{id}</c>, whose shape the gateway owns; the silo
/// that delivers is given the gateway's renderer by its host.
/// </summary>
public interface IJobWebhookBody
{
    /// <param name="linksBaseUrl">the base of the result links, as the gateway that took the job would have written them</param>
    byte[] Render(JobSnapshot job, string linksBaseUrl);
}
