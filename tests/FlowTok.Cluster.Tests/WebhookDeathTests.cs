using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowTok.Infrastructure.Tests.Webhooks;
using Xunit.Abstractions;

namespace FlowTok.Cluster.Tests;

/// <summary>
/// Webhooks when a node dies: jobs with a webhook run on two silos, one is killed with SIGKILL mid-batch (with whatever
/// job grains and pending deliveries it held), and every job is still announced, ended, signed, from the survivor.
/// </summary>
[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class WebhookDeathTests(RabbitMqFixture fixture, ITestOutputHelper output)
{
    private const int Jobs = 8;

    [Fact]
    public async Task EveryJobIsAnnouncedWhenASiloIsKilledMidJob()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The receiver fails at first: some deliveries are pending (stored, on a reminder) when the silo dies.
        receiver.Status = 503;
        await using var cluster = await TestCluster.StartAsync(fixture.Broker, silos: 2, new ClusterSettings { BatchLatency = TimeSpan.FromSeconds(1) });
        var ids = new List<string>();
        for (var i = 0; i < Jobs; i++)
        {
            using var response = await cluster.Http.PostAsJsonAsync("/v1/jobs", new { type = "generation", prompt = $"webhook death {i}", n = 2, webhook_url = receiver.Url.ToString() });
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            ids.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }
        // Killed once the first delivery was attempted (a job has ended) and while the others run.
        await receiver.NextAsync(TimeSpan.FromSeconds(60));
        cluster.Silos[0].Kill();
        receiver.Status = 200;

        var secret = (await cluster.Http.GetFromJsonAsync<JsonElement>("/v1/webhooks/secret")).GetProperty("secret").GetString()!;
        var announced = new Dictionary<string, JsonNode>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (announced.Count < Jobs)
        {
            var hook = await receiver.NextAsync(deadline - DateTime.UtcNow);
            Assert.True(hook.IsSignedWith(secret), "a webhook is not signed with the tenant's secret");
            if (hook.AnsweredStatus == 200) announced[hook.Id] = JsonNode.Parse(hook.Body)!;
        }

        Assert.Equal(ids.Select(id => "msg_" + id).Order(), announced.Keys.Order());
        foreach (var job in announced.Values)
            Assert.True(job["status"]!.GetValue<string>() == "succeeded", $"job {job["id"]} was announced {job.ToJsonString()}");
        output.WriteLine($"{Jobs} jobs of 2 images with webhooks, silo-1 killed after the first attempt: all {announced.Count} announced as succeeded");
    }
}
