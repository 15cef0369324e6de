using System.Net;
using System.Text.Json;

namespace FlowTok.Platform.Tests;

/// <summary>Async jobs over real HTTP: idempotency, progress events, cancellation, tenant isolation.</summary>
[Collection(PlatformCollection.Name)]
public sealed class JobTests(PlatformFixture platform)
{
    [Fact]
    public async Task AnIdempotentResubmissionReturnsTheSameJob()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var key = Guid.NewGuid().ToString();
        var request = new { type = "generation", prompt = "a small blue star at the top right on an orange background", steps = 4 };
        var first = await (await client.PostJson("/v1/jobs", request, key)).ExpectJson(HttpStatusCode.Accepted);
        var again = await (await client.PostJson("/v1/jobs", request, key)).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());

        // The same key with another request is a conflict, not a new job.
        var other = await client.PostJson("/v1/jobs", new { type = "generation", prompt = "something else", steps = 4 }, key);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);

        var done = await WaitForEnd(client, first.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Single(done.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task ProgressIsStreamedAsServerSentEventsUntilTheJobEnds()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a large white cross in the center on a red background", n = 2, steps = 30 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;

        using var stream = await client.GetStreamAsync($"/v1/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        var events = new List<(string Event, JsonElement Data)>();
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event:")) name = line["event:".Length..].Trim();
            else if (line.StartsWith("data:")) events.Add((name ?? "message", JsonDocument.Parse(line["data:".Length..]).RootElement.Clone()));
        }
        Assert.Equal("completed", events[^1].Event);
        Assert.Equal("succeeded", events[^1].Data.GetProperty("status").GetString());
        var done = events.Select(e => e.Data.GetProperty("progress").GetProperty("steps_done").GetInt32()).ToList();
        Assert.Equal(done.Order(), done); // progress never goes back
        Assert.Equal(60, done[^1]);
        Assert.Contains(done, d => d > 0 && d < 60); // intermediate progress was reported
    }

    [Fact]
    public async Task CancellingAJobStopsItAndItStaysCancelled()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a large red circle in the center on a blue background", n = 8, steps = 100 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        var cancelled = await (await client.DeleteAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());

        await Task.Delay(1500); // late completions from the model silo must not revive it
        var later = await (await client.GetAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal("cancelled", later.GetProperty("status").GetString());
        Assert.True(later.GetProperty("results").GetArrayLength() < 8, "a cancelled job must not run all its items");
    }

    [Fact]
    public async Task AnotherTenantCannotSeeOrCancelAJob()
    {
        using var owner = platform.Client(PlatformFixture.KeyA);
        using var stranger = platform.Client(PlatformFixture.KeyB);
        var job = await (await owner.PostJson("/v1/jobs", new { type = "generation", prompt = "a small purple square at the bottom left on a green background", steps = 4 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/v1/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/v1/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/v1/jobs/{id}/events")).StatusCode);

        var done = await WaitForEnd(owner, id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var fileId = done.GetProperty("results")[0].GetProperty("file_id").GetString()!;
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/v1/files/{fileId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/v1/files/{fileId}")).StatusCode);
    }

    [Fact]
    public async Task ATenantOverItsQuotaGets429AndIsChargedOnlyForWhatWasMade()
    {
        using var client = platform.Client(PlatformFixture.KeyQuota);
        var first = await (await client.PostJson("/v1/images/generations", new { prompt = "a small red circle at the top left on a blue background", n = PlatformFixture.Quota - 1, steps = 2 }))
            .ExpectJson(HttpStatusCode.OK);
        Assert.Equal(PlatformFixture.Quota - 1, first.GetProperty("data").GetArrayLength());

        var over = await client.PostJson("/v1/images/generations", new { prompt = "a small red circle at the top left on a blue background", n = 2, steps = 2, seed = 9 });
        var problem = await over.ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Equal("quota", problem.GetProperty("code").GetString());
        Assert.NotNull(over.Headers.RetryAfter);

        // What is left of the quota can still be used.
        var last = await client.PostJson("/v1/images/generations", new { prompt = "a small red circle at the top left on a blue background", n = 1, steps = 2, seed = 10 });
        await last.ExpectJson(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnUnknownJobIsNotFound()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.GetAsync("/v1/jobs/job-doesnotexist");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    internal static async Task<JsonElement> WaitForEnd(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var job = await (await client.GetAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled") return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not end within 2 minutes");
    }
}
