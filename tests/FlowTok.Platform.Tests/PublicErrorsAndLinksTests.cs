using System.Net;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Tests;
using FlowTok.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>
/// What a tenant is told: a failure is a stable code and message, never the text of an exception inside the platform, and
/// one tenant's failure leaves other tenants' work alone; result links name the address the client used, as a trusted
/// proxy forwarded it.
/// </summary>
public sealed class PublicErrorsAndLinksTests
{
    private const string OtherKey = "ftk-test-bystander-0123456789abcdef";

    [Fact]
    public async Task AFailedItemShowsACodeNotTheExceptionText()
    {
        await using var platform = await SimulatedPlatform.StartAsync("failing", ["--Tenants:1:Id=bystander", $"--Tenants:1:Key={OtherKey}"]);
        using var bystander = platform.ClientOf(OtherKey);
        var grains = platform.Services.GetRequiredService<IGrainFactory>();

        // Bytes the gateway did not make, put in the store: the silo refuses them with an exception naming the file and job.
        string fileId = await platform.Services.GetRequiredService<IFileStore>().PutAsync("failing", HostileImages.Gradient(16, 16, ("tEXt", [.. "Comment"u8, 0, .. "client bytes"u8])), "image/png");
        string jobId = JobIds.New();
        var others = bystander.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(HostileImages.Gradient(32, 32)) });
        var submitted = await grains.GetGrain<IJobGrain>(jobId).SubmitAsync(
            new JobSpec { TenantId = "failing", Kind = JobKind.Caption, InputFileId = fileId, RequestHash = "raw" }, new TenantLimits());
        Assert.True(submitted.Accepted);

        var job = await JobTests.WaitForEnd(platform.Client, jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        string error = job.GetProperty("error").GetString()!;
        foreach (var internalText in new[] { "canonical", fileId, jobId, "Exception", "upload " })
            Assert.DoesNotContain(internalText, error);
        Assert.Equal("invalid_input", job.GetProperty("error_code").GetString());
        var failure = Assert.Single(job.GetProperty("failures").EnumerateArray());
        Assert.Equal(0, failure.GetProperty("index").GetInt32());
        Assert.Equal("invalid_input", failure.GetProperty("code").GetString());

        // The other tenant's caption, queued at the same time, finished and carries no error.
        var theirs = await (await others).ExpectJson(HttpStatusCode.Accepted);
        var done = await JobTests.WaitForEnd(bystander, theirs.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, done.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task LinksFollowTheForwardedAddressOfATrustedProxy()
    {
        await using var platform = await SimulatedPlatform.StartAsync("proxied", ["--Gateway:TrustedProxies:0=127.0.0.1"]);
        var (image, job) = await LinksAsync(platform);
        Assert.StartsWith("https://images.example.com/v1/files/file-", image);
        Assert.StartsWith("https://images.example.com/v1/files/file-", job);
    }

    [Fact]
    public async Task ForwardedHeadersFromAnUntrustedAddressAreIgnored()
    {
        await using var platform = await SimulatedPlatform.StartAsync("direct", ["--Gateway:TrustedNetworks:0=10.0.0.0/8"]);
        var (image, job) = await LinksAsync(platform);
        string own = platform.Client.BaseAddress!.ToString().TrimEnd('/');
        Assert.StartsWith($"{own}/v1/files/file-", image);
        Assert.StartsWith($"{own}/v1/files/file-", job);
    }

    /// <summary>The link of a generated image, from the synchronous API and from a job, asked for through a "proxy" that
    /// says the client used https://images.example.com.</summary>
    private static async Task<(string Image, string Job)> LinksAsync(SimulatedPlatform platform)
    {
        HttpRequestMessage Forwarded(HttpMethod method, string path, object? body = null)
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-Host", "images.example.com");
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            return request;
        }
        var images = await (await platform.Client.SendAsync(Forwarded(HttpMethod.Post, "/v1/images/generations",
            new { prompt = "a red circle", steps = 2, response_format = "url" }))).ExpectJson(HttpStatusCode.OK);
        var accepted = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a blue square", steps = 2 }))
            .ExpectJson(HttpStatusCode.Accepted);
        string id = accepted.GetProperty("id").GetString()!;
        await JobTests.WaitForEnd(platform.Client, id);
        var job = await (await platform.Client.SendAsync(Forwarded(HttpMethod.Get, $"/v1/jobs/{id}"))).ExpectJson(HttpStatusCode.OK);
        return (images.GetProperty("data")[0].GetProperty("url").GetString()!, job.GetProperty("results")[0].GetProperty("url").GetString()!);
    }
}
