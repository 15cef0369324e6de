using System.Net;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Two tenants on one simulated device: the platform queue is shared by weight among the tenants with work in it, and work
/// whose deadline passed is dropped before it uses the device.
/// </summary>
public sealed class FairShareTests
{
    private const string SmallKey = "ftk-test-small-tenant-0123456789abcdef";

    private static HttpClient ClientOf(SimulatedPlatform platform, string key)
    {
        var client = new HttpClient { BaseAddress = platform.Client.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    [Fact]
    public async Task ATenantBeyondItsShareOfTheQueueGets429WhileAnotherIsStillAdmitted()
    {
        // 0.5 s per step: nothing finishes during the test. The queue holds 16 items.
        await using var platform = await SimulatedPlatform.StartAsync("share",
            ["--Model:Simulated:BatchLatency=00:00:10", "--Platform:MaxQueuedItems=16", "--Platform:MinQueuedItemsPerTenant=2",
             "--Tenants:1:Id=small", $"--Tenants:1:Key={SmallKey}"]);
        using var small = ClientOf(platform, SmallKey);
        object Job(int n) => new { type = "generation", prompt = "a red circle", n, steps = 20 };

        // Alone, "share" may fill the whole queue, and no more.
        await (await platform.Client.PostJson("/v1/jobs", Job(8))).ExpectJson(HttpStatusCode.Accepted);
        await (await platform.Client.PostJson("/v1/jobs", Job(8))).ExpectJson(HttpStatusCode.Accepted);
        var full = await platform.Client.PostJson("/v1/jobs", Job(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.NotNull(full.Headers.RetryAfter);

        // Another tenant is still admitted, up to its own share (half the queue while both have work in it).
        await (await small.PostJson("/v1/jobs", Job(4))).ExpectJson(HttpStatusCode.Accepted);
        await (await small.PostJson("/v1/jobs", Job(4))).ExpectJson(HttpStatusCode.Accepted);
        var smallFull = await (await small.PostJson("/v1/jobs", Job(1))).ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Equal("tenant_queue_full", smallFull.GetProperty("code").GetString());
        var bigFull = await (await platform.Client.PostJson("/v1/jobs", Job(1))).ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Contains("share", bigFull.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WorkWhoseDeadlinePassedIsDroppedAndItsJobFailsWithTheReason()
    {
        // One row at a time, 1 s per step; a synchronous request's deadline is its 1 s timeout.
        await using var platform = await SimulatedPlatform.StartAsync("dropped",
            ["--Model:Simulated:BatchLatency=00:00:20", "--Model:MaxBatchSize=1", "--Gateway:SyncTimeout=00:00:01"]);
        await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 3 }))
            .ExpectJson(HttpStatusCode.Accepted);
        await Task.Delay(200);
        var late = await platform.Client.PostJson("/v1/images/generations", new { prompt = "a blue square", steps = 3 });
        Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode);
        var jobId = late.Headers.GetValues("X-Job-Id").Single();

        var done = await JobTests.WaitForEnd(platform.Client, jobId);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("deadline", done.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ARequestsOwnTimeoutDropsItsWorkAndAnswers504WithTheDeadlineCode()
    {
        // One row at a time, 1 s per step, a long synchronous wait: only the request's own timeout can end it early.
        await using var platform = await SimulatedPlatform.StartAsync("timeout",
            ["--Model:Simulated:BatchLatency=00:00:20", "--Model:MaxBatchSize=1", "--Gateway:SyncTimeout=00:01:00"]);
        var busy = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 5 }))
            .ExpectJson(HttpStatusCode.Accepted);
        await Task.Delay(200);

        var late = await platform.Client.PostJson("/v1/images/generations", new { prompt = "a blue square", steps = 3, timeout = 0.5 });
        var problem = await late.ExpectJson(HttpStatusCode.GatewayTimeout);
        Assert.Equal("deadline_exceeded", problem.GetProperty("code").GetString());
        var job = await (await platform.Client.GetAsync($"/v1/jobs/{late.Headers.GetValues("X-Job-Id").Single()}")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("interactive", job.GetProperty("priority").GetString());
        Assert.True(job.GetProperty("deadline").GetInt64() > 0);
        // The job that held the device was not disturbed.
        var first = await JobTests.WaitForEnd(platform.Client, busy.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal("batch", first.GetProperty("priority").GetString());
    }

    [Fact]
    public async Task UsageReportsTheTenantsMeteredDeviceTime()
    {
        await using var platform = await SimulatedPlatform.StartAsync("usage", []);
        await (await platform.Client.PostJson("/v1/images/generations", new { prompt = "a red circle", n = 2, steps = 20 })).ExpectJson(HttpStatusCode.OK);
        // Replicas report every few seconds.
        System.Text.Json.JsonElement usage = default;
        for (var until = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < until; await Task.Delay(250))
        {
            usage = await (await platform.Client.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.OK);
            if (usage.GetProperty("items_run").GetInt64() >= 2) break;
        }
        Assert.Equal("usage", usage.GetProperty("tenant").GetString());
        Assert.Equal(2, usage.GetProperty("items_run").GetInt64());
        // Two rows shared 20 steps of 10 ms + 2 x 1.25 ms: 0.25 s of device time, all of it this tenant's.
        Assert.InRange(usage.GetProperty("device_seconds").GetDouble(), 0.2, 0.6);
    }
}
