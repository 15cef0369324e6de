using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlowTok.Platform.Tests;

/// <summary>Redis stays bounded: every key a job's life writes (job state, results, uploads, caches, idempotency,
/// cancellation) expires on its own.</summary>
public sealed class JobKeysTests
{
    [Fact]
    public async Task EveryKeyAJobsLifeWritesHasATimeToLive()
    {
        await using var platform = await SimulatedPlatform.StartAsync("keys",
            ["--Model:Simulated:BatchLatency=00:00:00.100", "--Model:Simulated:ItemLatency=00:00:00"]);
        var redis = platform.Services.GetRequiredService<IConnectionMultiplexer>();
        var before = await KeysAsync(redis);

        // An async job with an idempotency key, a synchronous generation (output cache, prompt cache), a caption (upload),
        // and a cancelled job.
        var job = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 2 }, "keys-1"))
            .ExpectJson(HttpStatusCode.Accepted);
        await JobTests.WaitForEnd(platform.Client, job.GetProperty("id").GetString()!);
        await (await platform.Client.PostJson("/v1/images/generations", new { prompt = "a blue square", steps = 2, response_format = "url" }))
            .ExpectJson(HttpStatusCode.OK);
        await (await platform.Client.PostAsync("/v1/images/captions", StoredFiles.Multipart(StoredFiles.NoisePng(32, 1))))
            .ExpectJson(HttpStatusCode.OK);
        var cancelled = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a green star", steps = 100, n = 4 }))
            .ExpectJson(HttpStatusCode.Accepted);
        string cancelledId = cancelled.GetProperty("id").GetString()!;
        await (await platform.Client.DeleteAsync($"/v1/jobs/{cancelledId}")).ExpectJson(HttpStatusCode.OK);
        await JobTests.WaitForEnd(platform.Client, cancelledId);

        var db = redis.GetDatabase();
        // Bounded without a time to live: the admission counters and the download links' shared signing key (one key each
        // for the platform) and a tenant's state (one per configured tenant).
        string[] bounded = ["flowtok:admission", "flowtok:admission:weights", "flowtok:linksigningkey", "flowtok-platform/state/tenant/keys/tenant"];
        var written = (await KeysAsync(redis)).Except(before).Except(bounded).ToList();
        Assert.NotEmpty(written);
        var lasting = new List<string>();
        foreach (var key in written)
            if (await db.KeyTimeToLiveAsync(key) is null && await db.KeyExistsAsync(key)) lasting.Add(key);
        Assert.True(lasting.Count == 0, $"keys without a time to live: {string.Join(", ", lasting)} (of {string.Join(", ", written)})");
    }

    private static async Task<HashSet<string>> KeysAsync(IConnectionMultiplexer redis)
    {
        var keys = new HashSet<string>();
        foreach (var endpoint in redis.GetEndPoints())
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: "*"))
                keys.Add(key!);
        return keys;
    }
}
