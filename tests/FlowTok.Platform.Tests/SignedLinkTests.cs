using System.Net;
using FlowTok.Gateway;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Platform.Tests;

/// <summary>
/// <c>url</c> results and job result links are signed: they download without the API key until they expire, like OpenAI's;
/// a changed link is 403, an expired one 410, and a link opens only the file of the tenant it was made for.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SignedLinkTests(PlatformFixture platform)
{
    private const string Prompt = "a small green square on a white background";

    [Fact]
    public async Task AUrlResultDownloadsWithoutTheKey()
    {
        string url = await GenerateUrlAsync(PlatformFixture.KeyA, seed: 41);
        using var anonymous = platform.Client(null);
        var file = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        using (var image = Image.Load<Rgb24>(await file.Content.ReadAsByteArrayAsync()))
            Assert.True(image.Width > 0);

        // With the API key the same link works too, and the bare file address still needs the key.
        using var owner = platform.Client(PlatformFixture.KeyA);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url.Split('?')[0])).StatusCode);
    }

    [Fact]
    public async Task AJobResultLinkDownloadsWithoutTheKey()
    {
        using var owner = platform.Client(PlatformFixture.KeyA);
        var accepted = await (await owner.PostJson("/v1/jobs", new { type = "generation", prompt = Prompt, steps = 2, seed = 42 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var job = await JobTests.WaitForEnd(owner, accepted.GetProperty("id").GetString()!);
        string url = job.GetProperty("results")[0].GetProperty("url").GetString()!;
        using var anonymous = platform.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url)).StatusCode);
    }

    [Theory]
    [InlineData("tenant=tenant-a", "tenant=tenant-b")]
    [InlineData("expires=", "expires=9")]
    [InlineData("signature=", "signature=A")]
    public async Task AChangedLinkIsForbidden(string part, string changed)
    {
        string url = await GenerateUrlAsync(PlatformFixture.KeyA, seed: 43);
        Assert.Contains(part, url);
        using var anonymous = platform.Client(null);
        var response = await anonymous.GetAsync(url.Replace(part, changed));
        var problem = await response.ExpectJson(HttpStatusCode.Forbidden);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid_link", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnExpiredLinkIsGone()
    {
        string url = await GenerateUrlAsync(PlatformFixture.KeyA, seed: 44);
        string fileId = Uri.UnescapeDataString(new Uri(url).AbsolutePath.Split('/')[^1]);
        // The gateway's own signer, with an expiry a second ago: a genuine link that has run out.
        string expired = platform.Services.GetRequiredService<FileLinks>()
            .File(platform.BaseAddress.ToString().TrimEnd('/'), "tenant-a", fileId, DateTimeOffset.UtcNow.AddSeconds(-1));
        using var anonymous = platform.Client(null);
        var response = await anonymous.GetAsync(expired);
        var problem = await response.ExpectJson(HttpStatusCode.Gone);
        Assert.Equal("link_expired", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ALinkOpensOnlyTheFileOfItsOwnTenant()
    {
        string urlOfA = await GenerateUrlAsync(PlatformFixture.KeyA, seed: 45);
        string fileOfA = Uri.UnescapeDataString(new Uri(urlOfA).AbsolutePath.Split('/')[^1]);
        // A genuine link made for tenant B, naming A's file id: B has no such file.
        string forB = platform.Services.GetRequiredService<FileLinks>().File(platform.BaseAddress.ToString().TrimEnd('/'), "tenant-b", fileOfA);
        using var anonymous = platform.Client(null);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(forB)).StatusCode);
        // Tenant B's key does not open A's bare file address either.
        using var b = platform.Client(PlatformFixture.KeyB);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync(urlOfA.Split('?')[0])).StatusCode);
    }

    private async Task<string> GenerateUrlAsync(string key, long seed)
    {
        using var client = platform.Client(key);
        var body = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, steps = 2, seed, response_format = "url" }))
            .ExpectJson(HttpStatusCode.OK);
        return body.GetProperty("data")[0].GetProperty("url").GetString()!;
    }
}
