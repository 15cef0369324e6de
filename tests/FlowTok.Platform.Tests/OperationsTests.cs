using System.Net;

namespace FlowTok.Platform.Tests;

/// <summary>Health, metrics and the API description.</summary>
[Collection(PlatformCollection.Name)]
public sealed class OperationsTests(PlatformFixture platform)
{
    [Fact]
    public async Task HealthEndpointsAnswer()
    {
        using var client = platform.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task MetricsExposeQueueDepthBatchesAndCacheHits()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        // Make sure a batch ran and a cache lookup happened.
        var request = new { prompt = "a small white circle at the top left on a black background", seed = 31 };
        await (await client.PostJson("/v1/images/generations", request)).ExpectJson(HttpStatusCode.OK);
        await (await client.PostJson("/v1/images/generations", request)).ExpectJson(HttpStatusCode.OK);

        var text = await client.GetStringAsync("/metrics");
        foreach (var name in new[] { "flowtok_platform_queue_depth", "flowtok_platform_batch_size", "flowtok_platform_output_cache_hits", "flowtok_platform_request_duration_seconds" })
            Assert.Contains(name, text);
        Assert.Contains("flowtok_platform_batch_size_bucket{le=\"8\"}", text); // item buckets, not seconds
        // One machine: the embedded Redis server's spill files, measured as the platform starts (nothing spilled yet).
        Assert.Matches(@"(?m)^flowtok_platform_embedded_redis_spill_bytes(\{[^}]*\})? \d+", text);
    }

    [Fact]
    public async Task TheOpenApiDocumentAndApiPageAreServed()
    {
        using var client = platform.Client(null);
        var document = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/images/generations", document);
        Assert.Contains("/v1/jobs/{id}", document);
        // Chat completions, down to the content parts' image_url (its content is read by a converter of its own).
        Assert.Contains("/v1/chat/completions", document);
        Assert.Contains("the platform fetches nothing", document);
        var page = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
