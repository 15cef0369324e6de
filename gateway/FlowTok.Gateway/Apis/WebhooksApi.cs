using System.ComponentModel;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Apis;

/// <summary>The calling tenant's webhook signing secret, to verify the <c>webhook-signature</c> of the jobs it is told of.</summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/webhooks").WithTags("Webhooks")
            .MapGet("/secret", GetSecret)
            .WithSummary("The tenant's webhook signing secret (Standard Webhooks: whsec_ + base64)")
            .ProducesProblem(401).ProducesProblem(404);
        return app;
    }

    public static Results<Ok<WebhookSecretResponse>, ProblemHttpResult> GetSecret([AsParameters] GatewayServices s, [FromServices] IOptions<WebhookOptions> webhooks) =>
        webhooks.Value.Enabled
            ? TypedResults.Ok(new WebhookSecretResponse("webhook_secret", WebhookSignature.Format(WebhookSignature.TenantSecret(webhooks.Value.SigningKey!, s.Tenant.Id)),
                WebhookSignature.IdHeader, WebhookSignature.TimestampHeader, WebhookSignature.SignatureHeader))
            : Problems.NotFound("webhooks are not enabled on this platform (Webhooks:SigningKey is not set)");
}

/// <summary>GET /v1/webhooks/secret: the secret and the headers that carry a webhook's id, timestamp and signature.</summary>
public sealed record WebhookSecretResponse(
    [property: Description("\"webhook_secret\".")] string Object,
    [property: Description("The tenant's signing secret: whsec_ + base64 of the 32-byte HMAC-SHA256 key.")] string Secret,
    [property: Description("The header with the message id (msg_<job id>, the same on every attempt).")] string IdHeader,
    [property: Description("The header with the attempt's Unix time in seconds.")] string TimestampHeader,
    [property: Description("The header with v1,<base64 HMAC-SHA256 of id.timestamp.body>.")] string SignatureHeader);
