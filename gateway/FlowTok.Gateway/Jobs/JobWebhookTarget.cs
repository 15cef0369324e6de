using FlowTok.Contracts.Jobs;
using FlowTok.Storage.Tenants;
using FlowTok.Infrastructure.Webhooks;

namespace FlowTok.Gateway.Jobs;

/// <summary>A job's webhook: the request's <c>webhook_url</c>, else the tenant's default (Tenants:N:WebhookUrl), checked
/// against the platform's policy (<see cref="WebhookTargets"/>) before anything is stored.</summary>
public static class JobWebhookTarget
{
    /// <summary>The spec with its webhook attached, or why the webhook is refused (a message for the field <c>webhook_url</c>).</summary>
    public static (JobSpec? Spec, string? Refusal) Attach(JobSpec spec, string? requested, TenantInfo tenant, WebhookOptions options, string linksBaseUrl)
    {
        var url = requested ?? tenant.WebhookUrl;
        if (string.IsNullOrEmpty(url)) return (spec, null);
        string origin = requested is null ? "the tenant's default webhook URL: " : "";
        if (!options.Enabled) return (null, $"{origin}webhooks are not enabled on this platform (Webhooks:SigningKey is not set)");
        if (WebhookTargets.Refusal(url, options.AllowPrivateTargets) is { } refusal) return (null, origin + refusal);
        return (spec with { Webhook = new JobWebhook { Url = url, LinksBaseUrl = linksBaseUrl } }, null);
    }
}
