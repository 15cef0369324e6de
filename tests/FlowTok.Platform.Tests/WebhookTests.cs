using System.Net;
using System.Text.Json.Nodes;
using FlowTok.Infrastructure.Tests.Webhooks;
using Xunit.Abstractions;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Webhooks over real HTTP: the one-machine platform (simulated device) announces finished jobs to a loopback receiver,
/// signed with the tenant's secret (GET /v1/webhooks/secret), retried with back-off.
/// </summary>
public sealed class WebhookTests(WebhookTests.Platform platform, ITestOutputHelper output) : IClassFixture<WebhookTests.Platform>
{
    internal const string SigningKey = "test-webhook-signing-key-0123456789abcdef";
    internal static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);

    /// <summary>Allows loopback targets (the receiver); retries after 200 ms, 400 ms ...; the tenant's default webhook is
    /// the receiver's <c>/hooks/default</c>. A sampler step takes 50 ms.</summary>
    public sealed class Platform : IAsyncLifetime
    {
        public WebhookReceiver Receiver { get; private set; } = null!;
        internal SimulatedPlatform Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Receiver = await WebhookReceiver.StartAsync();
            Host = await SimulatedPlatform.StartAsync("webhooks",
            [
                $"--Webhooks:SigningKey={SigningKey}", "--Webhooks:AllowPrivateTargets=true", "--Webhooks:FirstRetryDelay=00:00:00.200",
                $"--Tenants:0:WebhookUrl={new Uri(Receiver.Url, "/hooks/default")}",
                "--Model:Simulated:StepLatency=00:00:00.050", // a job of 100 steps runs 5 s: long enough to cancel
            ]);
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    private HttpClient Client => platform.Host.Client;
    private WebhookReceiver Receiver => platform.Receiver;

    [Fact]
    public async Task AFinishedJobIsPostedSignedWithTheSameJsonAsGet()
    {
        var secret = (await (await Client.GetAsync("/v1/webhooks/secret")).ExpectJson(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        var latencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var id = await Submit(new { type = "generation", prompt = "a red circle", n = 2, steps = 4, webhook_url = Receiver.Url.ToString() });
            var ended = await EndSeenByEventsAsync(id);
            var hook = await Receiver.NextAsync(Arrival);
            latencies.Add((hook.At - ended).TotalMilliseconds);

            Assert.True(hook.IsSignedWith(secret), "the signature verifies with the tenant's secret");
            Assert.Equal(200, hook.AnsweredStatus);
            var body = JsonNode.Parse(hook.Body)!;
            var got = JsonNode.Parse(await (await Client.GetAsync($"/v1/jobs/{id}")).Content.ReadAsStringAsync())!;
            Assert.True(JsonNode.DeepEquals(got, body), $"webhook body {body.ToJsonString()} differs from GET {got.ToJsonString()}");
            Assert.Equal("succeeded", body["status"]!.GetValue<string>());
            // The result links are the gateway's, and they download.
            var url = body["results"]![1]!["url"]!.GetValue<string>();
            Assert.StartsWith(Client.BaseAddress!.ToString().TrimEnd('/'), url);
            Assert.Equal("image/png", (await Client.GetAsync(url)).Content.Headers.ContentType!.MediaType);
        }
        output.WriteLine($"webhook arrival after the job's end (SSE completed event seen by a client), ms: {string.Join(", ", latencies.Select(l => l.ToString("F0")))}");
    }

    [Fact]
    public async Task AReceiverFailingTwiceGetsTheDeliveryOnTheThirdAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var id = await Submit(new { type = "generation", prompt = "a blue square", steps = 4, webhook_url = receiver.Url.ToString() });

        var attempts = new[] { await receiver.NextAsync(Arrival), await receiver.NextAsync(Arrival), await receiver.NextAsync(Arrival) };

        Assert.Equal([500, 503, 200], attempts.Select(a => a.AnsweredStatus));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Id, a.Id)); // one message, retried
        Assert.All(attempts, a => Assert.Equal(id, JsonNode.Parse(a.Body)!["id"]!.GetValue<string>()));
        // Back-off: 200 ms, then 400 ms (lower bounds only: a loaded machine makes the waits longer, never shorter).
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(150), $"second attempt {attempts[1].At - attempts[0].At} after the first");
        Assert.True(attempts[2].At - attempts[1].At >= TimeSpan.FromMilliseconds(350), $"third attempt {attempts[2].At - attempts[1].At} after the second");
    }

    [Fact]
    public async Task ACancelledJobIsAnnouncedToo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var id = await Submit(new { type = "generation", prompt = "a green star", n = 4, steps = 100, webhook_url = receiver.Url.ToString() });
        await (await Client.DeleteAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
        var cancelled = JsonNode.Parse((await receiver.NextAsync(Arrival)).Body)!;
        Assert.Equal((id, "cancelled"), (cancelled["id"]!.GetValue<string>(), cancelled["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AJobWithoutWebhookUrlUsesTheTenantsDefault()
    {
        var id = await Submit(new { type = "generation", prompt = "a yellow circle", steps = 4 });
        ReceivedWebhook hook;
        do hook = await Receiver.NextAsync(Arrival);
        while (JsonNode.Parse(hook.Body)!["id"]!.GetValue<string>() != id); // other tests' jobs may arrive first
        Assert.EndsWith("msg_" + id, hook.Id);
    }

    [Fact]
    public async Task EachTenantHasItsOwnSecret()
    {
        var secret = (await (await Client.GetAsync("/v1/webhooks/secret")).ExpectJson(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(FlowTok.Infrastructure.Webhooks.WebhookSignature.Format(
            FlowTok.Infrastructure.Webhooks.WebhookSignature.TenantSecret(SigningKey, "webhooks")), secret);
        Assert.NotEqual(FlowTok.Infrastructure.Webhooks.WebhookSignature.Format(
            FlowTok.Infrastructure.Webhooks.WebhookSignature.TenantSecret(SigningKey, "other")), secret);
    }

    /// <summary>The official npm client's own <c>webhooks.unwrap</c> verifies a delivery with the tenant's secret and refuses a
    /// changed body or another secret (tests/openai-node/webhooks).</summary>
    [Fact]
    [Trait("Tier", "system")] // needs node, npm installed
    public Task TheNpmClientVerifiesADelivery() =>
        NodeClientTests.RunAsync(Path.Combine("webhooks", "webhooks.test.mjs"), Client.BaseAddress!, Client.DefaultRequestHeaders.Authorization!.Parameter!);

    private async Task<string> Submit(object request) =>
        (await (await Client.PostJson("/v1/jobs", request)).ExpectJson(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;

    /// <summary>When a client following the job's events sees it end.</summary>
    private async Task<DateTimeOffset> EndSeenByEventsAsync(string id)
    {
        using var stream = await Client.GetStreamAsync($"/v1/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("event:") && line.Contains("completed")) return DateTimeOffset.UtcNow;
        return DateTimeOffset.UtcNow; // the stream ends with the job
    }
}
