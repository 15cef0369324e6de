using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FlowTok.Infrastructure.Tests.Backends;
using FlowTok.Infrastructure.Tests.Webhooks;
using Xunit.Abstractions;

namespace FlowTok.Platform.Tests;

/// <summary>
/// A webhook still pending when the platform stops is delivered by the next platform on the same Redis: the delivery is
/// stored with the job and its reminder brings the job back.
/// </summary>
public sealed class WebhookRestartTests(RedisServerBackend redis, ITestOutputHelper output) : IClassFixture<RedisServerBackend>
{
    [Fact]
    public async Task AWebhookPendingWhenThePlatformStopsIsDeliveredAfterItStartsAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = 503; // the receiver is down while the job ends
        string id;
        // The first platform would wait ten minutes before its second attempt: it is stopped well before.
        await using (var first = await Start("00:10:00"))
        {
            id = (await (await first.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 4, webhook_url = receiver.Url.ToString() }))
                .ExpectJson(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
            var failed = await receiver.NextAsync(WebhookTests.Arrival);
            Assert.Equal(503, failed.AnsweredStatus);
            Assert.Equal("succeeded", JsonNode.Parse(failed.Body)!["status"]!.GetValue<string>());
        }
        receiver.Status = 200;
        Assert.Equal(0, receiver.Waiting);

        var restart = Stopwatch.StartNew();
        await using var second = await Start("00:00:00.100");
        var started = restart.Elapsed;
        var delivered = await receiver.NextAsync(WebhookTests.Arrival);
        output.WriteLine($"platform start {started.TotalSeconds:F1} s; webhook delivered {restart.Elapsed.TotalSeconds:F1} s after the restart began");

        Assert.Equal(200, delivered.AnsweredStatus);
        Assert.Equal("msg_" + id, delivered.Id);
        var secret = (await (await second.Client.GetAsync("/v1/webhooks/secret")).ExpectJson(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        Assert.True(delivered.IsSignedWith(secret));
        var body = JsonNode.Parse(delivered.Body)!;
        Assert.Equal((id, "succeeded"), (body["id"]!.GetValue<string>(), body["status"]!.GetValue<string>()));
        // The same results (their links name the first platform's address, where the job was submitted: this test's
        // platforms listen on different ports; a deployment sets Gateway:PublicBaseUrl).
        var stored = JsonNode.Parse(await (await second.Client.GetAsync($"/v1/jobs/{id}")).Content.ReadAsStringAsync())!;
        Assert.Equal(stored["results"]![0]!["file_id"]!.GetValue<string>(), body["results"]![0]!["file_id"]!.GetValue<string>());
    }

    private Task<SimulatedPlatform> Start(string firstRetryDelay) => SimulatedPlatform.StartAsync("webhook-restart",
    [
        $"--Redis:ConnectionString={redis.ConnectionString}",
        $"--Webhooks:SigningKey={WebhookTests.SigningKey}", "--Webhooks:AllowPrivateTargets=true",
        $"--Webhooks:FirstRetryDelay={firstRetryDelay}", "--Webhooks:ReminderPeriod=00:00:02",
    ]);
}
