using System.Net;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Xunit.Abstractions;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Nothing is stored for a request the platform refuses: an upload is written only once its job is admitted, a replayed
/// Idempotency-Key does not write it again, and answering from the output cache with links reuses the files already
/// stored instead of writing (uncharged) copies. Over real HTTP on a simulated device; files counted in its Redis.
/// </summary>
public sealed class AdmissionStorageTests(ITestOutputHelper output)
{
    private const int Refusals = 100;

    [Fact]
    public async Task RefusedCaptionUploadsLeaveNothingStored()
    {
        // A quota of one item: the first caption uses it, every later one is refused (429 quota).
        await using var platform = await SimulatedPlatform.StartAsync("refusals", ["--Tenants:0:ItemQuota=1", "--Tenants:0:RequestsPerMinute=100000"]);
        var client = platform.Client;
        await (await client.PostAsync("/v1/images/captions", StoredFiles.Multipart(StoredFiles.NoisePng(512, 0)))).ExpectJson(HttpStatusCode.OK);
        var before = await StoredFiles.MeasureAsync(platform.Services);

        var statuses = new List<int>();
        for (int i = 1; i <= Refusals; i++)
        {
            byte[] image = StoredFiles.NoisePng(512, i);
            var response = (i % 4) switch
            {
                0 => await client.PostAsync("/v1/images/captions", StoredFiles.Multipart(image)),
                1 => await client.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(image) }),
                // An Idempotency-Key too long to be one (400), and a key used before with another image (409 or 429).
                2 => await Send(client, image, new string('k', 256)),
                _ => await Send(client, image, "used-before"),
            };
            statuses.Add((int)response.StatusCode);
        }

        var after = await StoredFiles.MeasureAsync(platform.Services);
        output.WriteLine($"{Refusals} refused caption uploads (512x512 noise): files {before.Count} -> {after.Count}, bytes {before.Bytes} -> {after.Bytes} (+{after.Bytes - before.Bytes})");
        Assert.All(statuses, s => Assert.True(s is 400 or 409 or 429, $"expected a refusal, got {s}"));
        Assert.True(after == before,
            $"{Refusals} refused uploads left {after.Count - before.Count} files ({after.Bytes - before.Bytes} bytes) in Redis");
    }

    [Fact]
    public async Task AReplayedIdempotencyKeyStoresTheUploadOnce()
    {
        await using var platform = await SimulatedPlatform.StartAsync("replays", []);
        var client = platform.Client;
        byte[] image = StoredFiles.NoisePng(64, 7);
        var before = await StoredFiles.MeasureAsync(platform.Services);

        var first = await (await client.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(image) }, "caption-once")).ExpectJson(HttpStatusCode.Accepted);
        string id = first.GetProperty("id").GetString()!;
        for (int i = 0; i < 3; i++)
        {
            var again = await (await client.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(image) }, "caption-once")).ExpectJson(HttpStatusCode.OK);
            Assert.Equal(id, again.GetProperty("id").GetString());
        }
        var done = await JobTests.WaitForEnd(client, id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var synchronous = new[] { 0, 1, 2 }.Select(_ => Send(client, image, "caption-sync-once"));
        foreach (var response in await Task.WhenAll(synchronous)) await response.ExpectJson(HttpStatusCode.OK);

        var after = await StoredFiles.MeasureAsync(platform.Services);
        Assert.Equal(before.Count + 2, after.Count);
    }

    [Fact]
    public async Task LinksFromTheOutputCacheReuseTheStoredFiles()
    {
        await using var platform = await SimulatedPlatform.StartAsync("cachedlinks", []);
        var client = platform.Client;
        var request = new { prompt = "a red circle", n = 2, seed = 3, steps = 2, response_format = "url" };
        var first = await client.PostJson("/v1/images/generations", request);
        Assert.Equal("miss", first.Headers.GetValues("X-Cache").Single());
        var urls = Urls(await first.ExpectJson(HttpStatusCode.OK));
        var stored = await StoredFiles.MeasureAsync(platform.Services);

        for (int i = 0; i < 5; i++)
        {
            var hit = await client.PostJson("/v1/images/generations", request);
            Assert.Equal("hit", hit.Headers.GetValues("X-Cache").Single());
            Assert.Equal(urls, Urls(await hit.ExpectJson(HttpStatusCode.OK)));
        }
        Assert.Equal(stored, await StoredFiles.MeasureAsync(platform.Services));
        foreach (var url in urls)
        {
            var file = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, byte[] image, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/images/captions") { Content = StoredFiles.Multipart(image) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    private static List<string> Urls(System.Text.Json.JsonElement body) =>
        body.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("url").GetString()!.Split('?')[0]).ToList(); // the files, not the links' signatures
}

/// <summary>An admitted caption job whose upload never comes (its gateway died between admission and storing) fails by itself
/// and gives back what admission reserved.</summary>
public sealed class UploadWaitTests
{
    [Fact]
    public async Task ACaptionJobWhoseUploadNeverComesFailsAndFreesItsSlot()
    {
        await using var platform = await SimulatedPlatform.StartAsync("orphan", ["--Tenants:0:MaxConcurrentJobs=1", "--Platform:UploadWait=00:00:01"]);
        var grains = platform.Services.GetRequiredService<IGrainFactory>();
        string jobId = JobIds.New();
        var submitted = await grains.GetGrain<IJobGrain>(jobId).SubmitAsync(
            new JobSpec { TenantId = "orphan", Kind = JobKind.Caption, RequestHash = "orphan" }, new TenantLimits { MaxConcurrentJobs = 1 });
        Assert.True(submitted.Accepted);

        var job = await JobTests.WaitForEnd(platform.Client, jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("input_unavailable", job.GetProperty("error_code").GetString());
        // Its concurrency slot is free again: the tenant's next caption runs.
        var caption = await platform.Client.PostAsync("/v1/images/captions", StoredFiles.Multipart(StoredFiles.NoisePng(32, 2)));
        await caption.ExpectJson(HttpStatusCode.OK);
    }
}
