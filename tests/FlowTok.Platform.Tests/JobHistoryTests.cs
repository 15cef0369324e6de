using System.Net;
using System.Text.Json;

namespace FlowTok.Platform.Tests;

/// <summary>GET /v1/jobs over real HTTP: a tenant's own jobs only, newest first, with settings; pages without gaps or repeats.</summary>
[Collection(PlatformCollection.Name)]
public sealed class JobHistoryTests(PlatformFixture platform)
{
    [Fact]
    public async Task ATenantListsOnlyItsOwnJobsNewestFirstWithTheirSettings()
    {
        using var a = platform.Client(PlatformFixture.KeyA);
        using var b = platform.Client(PlatformFixture.KeyB);
        var mine = new List<string>();
        for (int i = 0; i < 3; i++) mine.Add(await Submit(a, $"a small green circle number {i} on a white background", steps: i + 1));
        string theirs = await Submit(b, "a large yellow square on a black background", steps: 1);

        var page = await (await a.GetAsync("/v1/jobs?limit=100")).ExpectJson(HttpStatusCode.OK);
        var ids = Ids(page);
        Assert.DoesNotContain(theirs, ids);
        Assert.Equal(Enumerable.Reverse(mine), ids.Where(mine.Contains)); // newest first
        var newest = page.GetProperty("data").EnumerateArray().First(j => j.GetProperty("id").GetString() == mine[^1]);
        var settings = newest.GetProperty("settings");
        Assert.Equal("a small green circle number 2 on a white background", settings.GetProperty("prompt").GetString());
        Assert.Equal(3, settings.GetProperty("steps").GetInt32());
        Assert.Equal(1, settings.GetProperty("n").GetInt32());

        var theirList = Ids(await (await b.GetAsync("/v1/jobs?limit=100")).ExpectJson(HttpStatusCode.OK));
        Assert.Contains(theirs, theirList);
        Assert.Empty(theirList.Intersect(mine));
        // Another tenant's job is no cursor: it is refused like an unknown one.
        Assert.Equal(HttpStatusCode.BadRequest, (await b.GetAsync($"/v1/jobs?after={mine[0]}")).StatusCode);
    }

    [Fact]
    public async Task PagesFollowEachOtherWithoutGapsOrRepeats()
    {
        using var b = platform.Client(PlatformFixture.KeyB);
        var submitted = new List<string>();
        for (int i = 0; i < 5; i++) submitted.Add(await Submit(b, $"a small red triangle number {i} on a blue background", steps: 1));

        var seen = new List<string>();
        string? after = null;
        for (int pages = 0; pages < 100; pages++)
        {
            var page = await (await b.GetAsync($"/v1/jobs?limit=2{(after is null ? "" : "&after=" + after)}")).ExpectJson(HttpStatusCode.OK);
            var ids = Ids(page);
            Assert.InRange(ids.Count, 0, 2);
            seen.AddRange(ids);
            if (!page.GetProperty("has_more").GetBoolean()) break;
            after = page.GetProperty("last_id").GetString();
        }
        Assert.Equal(seen.Distinct(), seen);
        Assert.Equal(Enumerable.Reverse(submitted), seen.Take(5)); // the five newest, in order, across pages
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("after=not-a-job")]
    public async Task ABadPageRequestIsRefused(string query)
    {
        using var a = platform.Client(PlatformFixture.KeyA);
        var response = await a.GetAsync($"/v1/jobs?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheListNeedsAKey()
    {
        using var anonymous = platform.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/jobs")).StatusCode);
    }

    private static async Task<string> Submit(HttpClient client, string prompt, int steps)
    {
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt, steps })).ExpectJson(HttpStatusCode.Accepted);
        return job.GetProperty("id").GetString()!;
    }

    private static List<string> Ids(JsonElement page) =>
        [.. page.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()!)];
}
