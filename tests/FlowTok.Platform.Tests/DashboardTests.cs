using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace FlowTok.Platform.Tests;

/// <summary>
/// The Orleans Dashboard at /dashboard over real loopback HTTP: served in one-machine mode to this machine, to others only
/// with the admin key (HTTP Basic password, as a browser sends it, or Bearer), and not at all when disabled.
/// </summary>
public sealed class DashboardTests
{
    private const string AdminKey = "dashboard-test-admin-key-0123456789abcdef";

    private static async Task<HttpResponseMessage> Get(Uri baseAddress, string path, AuthenticationHeaderValue? authorization = null)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = authorization;
        return await client.GetAsync(path);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task InOneMachineModeTheDashboardIsServedToThisMachine()
    {
        await using var platform = await SimulatedPlatform.StartAsync("dashboard", []);
        var page = await Get(platform.Client.BaseAddress!, "/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WithoutLoopbackTrustOnlyTheAdminKeyOpensIt()
    {
        await using var platform = await SimulatedPlatform.StartAsync("dashboard-key",
            ["--Dashboard:AllowLoopback=false", $"--Gateway:AdminKey={AdminKey}"]);
        var address = platform.Client.BaseAddress!;

        var anonymous = await Get(address, "/dashboard");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain("<html", await anonymous.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        // A tenant's key is not the admin key; neither is a wrong password; every path under the prefix is guarded.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(address, "/dashboard", new("Bearer", "ftk-test-dashboard-key-0123456789abcdef0123"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(address, "/dashboard", Basic("admin", AdminKey + "x"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(address, "/dashboard/index.html")).StatusCode);

        // "/dashboard/" itself: "/dashboard" redirects there, and a client drops its credentials on a redirect.
        var page = await Get(address, "/dashboard/", Basic("admin", AdminKey));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>Orleans Dashboard</title>", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await Get(address, "/dashboard/", new("Bearer", AdminKey))).StatusCode);
        // The API is unaffected.
        Assert.Equal(HttpStatusCode.OK, (await platform.Client.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task WithoutAnAdminKeyOthersAreRefusedAndDisabledItIsNotThere()
    {
        await using (var platform = await SimulatedPlatform.StartAsync("dashboard-nokey", ["--Dashboard:AllowLoopback=false"]))
            Assert.Equal(HttpStatusCode.Forbidden, (await Get(platform.Client.BaseAddress!, "/dashboard")).StatusCode);
        await using (var platform = await SimulatedPlatform.StartAsync("dashboard-off", ["--Dashboard:Enabled=false"]))
            Assert.Equal(HttpStatusCode.NotFound, (await Get(platform.Client.BaseAddress!, "/dashboard")).StatusCode);
    }
}
