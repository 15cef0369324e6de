using System.Net;
using System.Net.Http.Headers;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>/metrics names tenants and their device use: only scrapers read it (a configured bearer token, or without one
/// a client on this machine), never a tenant or a stranger.</summary>
public sealed class MetricsScrapeTests
{
    private const string Token = "scrape-0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task WithATokenOnlyRequestsBearingItReadTheSeries()
    {
        await using var platform = await SimulatedPlatform.StartAsync("scraped", [$"--Metrics:ScrapeToken={Token}"]);
        await Generate(platform);
        using var anonymous = new HttpClient { BaseAddress = platform.Client.BaseAddress };

        foreach (var bearer in new[] { null, "scrape-0123456789abcdef0123456789abcdeX", platform.Client.DefaultRequestHeaders.Authorization!.Parameter })
        {
            var refused = await anonymous.SendAsync(Scrape(bearer));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain("flowtok_platform", await refused.Content.ReadAsStringAsync());
        }
        // The tenant's own key is a tenant's, not a scraper's.
        Assert.Equal(HttpStatusCode.Unauthorized, (await platform.Client.GetAsync("/metrics")).StatusCode);

        var scraped = await anonymous.SendAsync(Scrape(Token));
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("flowtok_platform_tenant_device_seconds_total{tenant=\"scraped\"}", await scraped.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WithoutATokenOnlyLoopbackClientsReadTheSeries()
    {
        // The "proxy" on loopback is trusted: the client address is the one it forwards.
        await using var platform = await SimulatedPlatform.StartAsync("scraped-locally", ["--Gateway:TrustedProxies:0=127.0.0.1"]);
        await Generate(platform);
        using var anonymous = new HttpClient { BaseAddress = platform.Client.BaseAddress };

        var remote = Scrape(null);
        remote.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var refused = await anonymous.SendAsync(remote);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.DoesNotContain("flowtok_platform", await refused.Content.ReadAsStringAsync());

        var local = await anonymous.SendAsync(Scrape(null));
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Contains("flowtok_platform_tenant_device_seconds_total{tenant=\"scraped-locally\"}", await local.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage Scrape(string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return request;
    }

    private static async Task Generate(SimulatedPlatform platform) =>
        await (await platform.Client.PostJson("/v1/images/generations", new { prompt = "a white square", seed = 1, steps = 2 })).ExpectJson(HttpStatusCode.OK);
}
