using System.Net;

namespace FlowTok.Platform.Tests;

/// <summary>What webhooks a job may name: refused at submission with 400 on the field <c>webhook_url</c>, and nothing stored.</summary>
public sealed class WebhookPolicyTests
{
    [Fact]
    public async Task PrivateTargetsOtherSchemesAndARefusedTenantDefaultAre400()
    {
        await using var platform = await SimulatedPlatform.StartAsync("webhook-policy",
            [$"--Webhooks:SigningKey={WebhookTests.SigningKey}", "--Tenants:0:WebhookUrl=http://10.0.0.1/hooks"]);
        var client = platform.Client;

        foreach (var (url, reason) in new[]
        {
            ("http://127.0.0.1:9/hooks", "non-public"), ("http://[::1]/hooks", "non-public"), ("http://169.254.169.254/latest", "non-public"),
            ("http://localhost:8080/hooks", "non-public"), ("ftp://hooks.example.com/x", "http or https"), ("not a url", "http or https"),
        })
        {
            var refused = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 4, webhook_url = url }))
                .ExpectJson(HttpStatusCode.BadRequest);
            Assert.Contains(reason, refused.GetProperty("errors").GetProperty("webhook_url")[0].GetString());
        }
        // The tenant's default (Tenants:0:WebhookUrl) is held to the same policy, and the message says whose URL it is.
        var byDefault = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 4 }))
            .ExpectJson(HttpStatusCode.BadRequest);
        Assert.StartsWith("the tenant's default webhook URL", byDefault.GetProperty("errors").GetProperty("webhook_url")[0].GetString());

        var usage = await (await client.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(0, usage.GetProperty("active_jobs").GetInt32()); // nothing was admitted

        // A public target is taken (a request's webhook_url overrides the refused default).
        await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 4, webhook_url = "https://hooks.example.com/flowtok" }))
            .ExpectJson(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task WithoutASigningKeyWebhooksAreOff()
    {
        await using var platform = await SimulatedPlatform.StartAsync("webhook-off", []);
        var refused = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 4, webhook_url = "https://hooks.example.com/x" }))
            .ExpectJson(HttpStatusCode.BadRequest);
        Assert.Contains("Webhooks:SigningKey", refused.GetProperty("errors").GetProperty("webhook_url")[0].GetString());
        await (await platform.Client.GetAsync("/v1/webhooks/secret")).ExpectJson(HttpStatusCode.NotFound);
    }
}
