using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlowTok.Cluster.Tests.Processes;
using Xunit.Abstractions;

namespace FlowTok.Cluster.Tests;

/// <summary>
/// Two silos serving different models over RabbitMQ: the default simulated model ("simulated") on silo-1 and the same
/// device kind under the id "sketches" (Model:Id) on silo-b. A job naming a model reaches only that model's silo (its own
/// queues), whichever silo or gateway takes the request.
/// </summary>
[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class ModelRoutingTests(RabbitMqFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task AJobNamingAModelRunsOnlyOnTheSiloServingIt()
    {
        await using var cluster = await TestCluster.StartAsync(fixture.Broker, silos: 1);
        var other = await cluster.AddSiloAsync("silo-b", ["--Model:Id", "sketches"]);
        var first = cluster.Silos[0];
        for (var until = DateTime.UtcNow.AddMinutes(1); await ListedAsync(cluster) != 2; await Task.Delay(200))
            Assert.True(DateTime.UtcNow < until, "both models were not listed within a minute");

        await GenerateAsync(cluster, "sketches", requests: 8);
        Assert.Equal((0L, 16L), await ProducedAsync(cluster, first, other));

        await GenerateAsync(cluster, "simulated", requests: 4);
        // No model named: the default (both are their silo's first model: the smaller id).
        await GenerateAsync(cluster, null, requests: 2);
        Assert.Equal((12L, 16L), await ProducedAsync(cluster, first, other));
    }

    private static async Task<int> ListedAsync(TestCluster cluster)
    {
        using var response = await cluster.Http.GetAsync("/v1/models");
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetArrayLength() : 0;
    }

    /// <summary>Concurrent requests of two images each naming <paramref name="model"/> (none when null); all must succeed.</summary>
    private static async Task GenerateAsync(TestCluster cluster, string? model, int requests)
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => cluster.Http.PostAsJsonAsync("/v1/images/generations",
            model is null ? new { prompt = $"default {i}", n = 2 } : (object)new { prompt = $"{model} {i}", n = 2, model })));
        foreach (var response in responses)
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<(long, long)> ProducedAsync(TestCluster cluster, PlatformProcess first, PlatformProcess other)
    {
        var produced = (await cluster.ItemsProducedAsync(first) ?? -1, await cluster.ItemsProducedAsync(other) ?? -1);
        output.WriteLine($"images: silo-1 {produced.Item1}, silo-b {produced.Item2}");
        return produced;
    }
}
