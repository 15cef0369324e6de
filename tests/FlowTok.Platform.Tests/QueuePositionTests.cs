using System.Net;
using System.Text.Json;

namespace FlowTok.Platform.Tests;

/// <summary>
/// A waiting job's place in the queue (<c>queue_position</c> in GET /v1/jobs/{id} and its events) and the replicas' batch
/// figures (GET /v1/replicas), on one simulated device that runs one row at a time.
/// </summary>
public sealed class QueuePositionTests
{
    private const string OtherKey = "ftk-test-other-tenant-0123456789abcdef";

    private static object Job(int steps) => new { type = "generation", prompt = "a red circle", steps };

    /// <summary>Polls the job until <paramref name="done"/> holds for it (30 s at most).</summary>
    private static async Task<JsonElement> WaitFor(HttpClient client, string id, Func<JsonElement, bool> done)
    {
        for (var until = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            var job = await (await client.GetAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
            if (done(job)) return job;
            if (DateTime.UtcNow > until) throw new TimeoutException($"job {id} never reached the expected state: {job}");
        }
    }

    private static int? Position(JsonElement job) => job.TryGetProperty("queue_position", out var p) ? p.GetInt32() : null;

    [Fact]
    public async Task AWaitingJobSeesOnlyItsOwnPositionAndTheReplicaItsBatch()
    {
        // One row at a time, 0.5 s per step: the first job holds the device for 10 s, the others wait behind it.
        await using var platform = await SimulatedPlatform.StartAsync("position",
            ["--Model:MaxBatchSize=1", "--Model:Simulated:StepLatency=00:00:00.500", "--Tenants:1:Id=other", $"--Tenants:1:Key={OtherKey}"]);
        using var other = platform.ClientOf(OtherKey);
        var running = (await (await platform.Client.PostJson("/v1/jobs", Job(20))).ExpectJson(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        await WaitFor(platform.Client, running, j => j.GetProperty("status").GetString() == "running");
        var second = (await (await platform.Client.PostJson("/v1/jobs", Job(6))).ExpectJson(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        await WaitFor(platform.Client, second, j => Position(j) == 1);
        var third = (await (await other.PostJson("/v1/jobs", Job(6))).ExpectJson(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;

        // The other tenant learns its own position, a number, and nothing of the job ahead of it.
        var waiting = await WaitFor(other, third, j => Position(j) is not null);
        Assert.Equal(2, Position(waiting));
        Assert.DoesNotContain(second, waiting.GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/jobs/{second}")).StatusCode);
        // A running job has no position.
        Assert.Null(Position(await (await platform.Client.GetAsync($"/v1/jobs/{running}")).ExpectJson(HttpStatusCode.OK)));

        // Its event stream carries the position too.
        using var events = new StreamReader(await other.GetStreamAsync($"/v1/jobs/{third}/events"));
        string? data = null;
        while (data is null && await events.ReadLineAsync() is { } line)
            if (line.StartsWith("data:", StringComparison.Ordinal)) data = line[5..];
        Assert.Equal(2, JsonDocument.Parse(data!).RootElement.GetProperty("queue_position").GetInt32());

        // The replica: one row of one in its batch, two items waiting, their device seconds estimated.
        var replicas = await (await platform.Client.GetAsync("/v1/replicas")).ExpectJson(HttpStatusCode.OK);
        var replica = Assert.Single(replicas.GetProperty("data").EnumerateArray());
        Assert.Equal("position-node/sim:0", replica.GetProperty("id").GetString());
        Assert.Equal(1, replica.GetProperty("batch_rows").GetInt32());
        Assert.Equal(1, replica.GetProperty("max_batch_rows").GetInt32());
        Assert.Equal(2, replica.GetProperty("queue_depth").GetInt32());
        Assert.True(replica.GetProperty("queued_device_seconds").GetDouble() > 0);
        using var anonymous = new HttpClient { BaseAddress = platform.Client.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/replicas")).StatusCode);

        // The same work on /metrics, per replica and model (what the Grafana dashboard and the KEDA autoscaler read).
        string metrics = await anonymous.GetStringAsync("/metrics");
        var queued = System.Text.RegularExpressions.Regex.Match(metrics,
            @"^flowtok_platform_queued_device_seconds\{(?=[^}]*model=""simulated"")(?=[^}]*replica=""position-node/sim:0"")[^}]*\} (\S+)$",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(queued.Success, "no queued_device_seconds series of the replica on /metrics");
        Assert.True(double.Parse(queued.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Matches(@"(?m)^flowtok_platform_batch_occupancy\{[^}]*replica=""position-node/sim:0""[^}]*\} 1$", metrics);
        Assert.Matches(@"(?m)^flowtok_platform_step_duration_seconds_count\{[^}]*replica=""position-node/sim:0""[^}]*\} [1-9]", metrics);

        // When the first job ends, one of the two starts (the fair scheduler picks the tenant that used less) and the other
        // moves up to the head of the queue for the 3 s the started one runs (6 steps: long enough to be seen on a busy machine).
        await WaitFor(platform.Client, running, j => j.GetProperty("status").GetString() == "succeeded");
        for (var until = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(50))
        {
            var (a, b) = (await (await platform.Client.GetAsync($"/v1/jobs/{second}")).Json(), await (await other.GetAsync($"/v1/jobs/{third}")).Json());
            if (Position(a) == 1 || Position(b) == 1) break;
            Assert.True(DateTime.UtcNow < until, $"no job moved up: {a} {b}");
        }
    }
}
