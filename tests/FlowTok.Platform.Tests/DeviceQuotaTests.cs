using System.Net;
using System.Text.Json;

namespace FlowTok.Platform.Tests;

/// <summary>A tenant's device-seconds quota, through real HTTP on the simulated device.</summary>
public sealed class DeviceQuotaTests
{
    private const double Quota = 0.1;

    [Fact]
    public async Task ATenantPastItsDeviceSecondsQuotaGets429InsufficientQuotaWhileOthersRun()
    {
        const string otherKey = "ftk-test-quota-other-0123456789abcdef";
        await using var platform = await SimulatedPlatform.StartAsync("quota",
        [
            $"--Tenants:0:DeviceSecondsQuota={Quota}",
            "--Tenants:1:Id=quota-other", $"--Tenants:1:Key={otherKey}",
        ]);
        // Two rows sharing 20 steps of 10 ms + 2 x 1.25 ms: about 0.25 s of device time, past the quota of 0.1 s.
        await (await platform.Client.PostJson("/v1/images/generations", new { prompt = "a red circle", n = 2, steps = 20 })).ExpectJson(HttpStatusCode.OK);
        var usage = await UsageOnceReported(platform.Client);
        Assert.Equal(Quota, usage.GetProperty("device_seconds_quota").GetDouble());
        Assert.True(usage.GetProperty("device_seconds").GetDouble() >= Quota);
        Assert.Equal(0, usage.GetProperty("device_seconds_remaining").GetDouble());

        var refused = await platform.Client.PostJson("/v1/images/generations", new { prompt = "a blue square", steps = 2 });
        var problem = await refused.ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Equal("insufficient_quota", problem.GetProperty("code").GetString());
        Assert.Contains("quota of 0.1 device seconds", problem.GetProperty("detail").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 must say when to retry");
        Assert.Equal(0, (await UsageOf(platform.Client)).GetProperty("active_jobs").GetInt32()); // nothing was admitted

        // Another tenant is not affected; its usage shows no quota.
        using var other = platform.ClientOf(otherKey);
        await (await other.PostJson("/v1/images/generations", new { prompt = "a blue square", steps = 2 })).ExpectJson(HttpStatusCode.OK);
        var otherUsage = await UsageOf(other);
        Assert.Equal(0, otherUsage.GetProperty("device_seconds_quota").GetDouble());
        Assert.Equal(JsonValueKind.Null, otherUsage.GetProperty("device_seconds_remaining").ValueKind);
    }

    private static async Task<JsonElement> UsageOf(HttpClient client) => await (await client.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.OK);

    /// <summary>Replicas report device time every few seconds: the usage once the job's two items are reported.</summary>
    private static async Task<JsonElement> UsageOnceReported(HttpClient client)
    {
        for (var until = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(250))
        {
            var usage = await UsageOf(client);
            if (usage.GetProperty("items_run").GetInt64() >= 2 || DateTime.UtcNow > until) return usage;
        }
    }
}
