using System.Globalization;
using System.Net;
using FlowTok.Contracts.Jobs;
using FlowTok.Gateway.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>
/// No tenant learns about another's work: a prompt one tenant used is not a prompt-cache hit for another (the hit counter
/// in /metrics and the time saved would tell), and a model silo refuses an upload that belongs to another tenant.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class PromptCacheIsolationTests(PlatformFixture platform)
{
    [Fact]
    public async Task APromptOneTenantUsedIsNotACacheHitForAnother()
    {
        using var owner = platform.Client(PlatformFixture.KeyA);
        using var prober = platform.Client(PlatformFixture.KeyB);
        const string prompt = "a large yellow triangle in the center on a purple background";
        object Request(int seed) => new { prompt, seed, steps = 2 };
        await (await owner.PostJson("/v1/images/generations", Request(101))).ExpectJson(HttpStatusCode.OK);

        double hits = await PromptCacheHits(prober);
        await (await prober.PostJson("/v1/images/generations", Request(102))).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(hits, await PromptCacheHits(prober));

        // The cache still serves each tenant its own prompts.
        await (await owner.PostJson("/v1/images/generations", Request(103))).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(hits + 1, await PromptCacheHits(prober));
    }

    /// <summary>flowtok_platform_prompt_cache_hits_total as anyone can read it from /metrics (0 before the first hit).</summary>
    private static async Task<double> PromptCacheHits(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("flowtok_platform_prompt_cache_hits", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}

public sealed class UploadOwnershipTests
{
    private const string OtherKey = "ftk-test-other-tenant-0123456789abcdef";

    [Fact]
    public async Task ASiloRefusesAnUploadOfAnotherTenant()
    {
        await using var platform = await SimulatedPlatform.StartAsync("owner", ["--Tenants:1:Id=other", $"--Tenants:1:Key={OtherKey}"]);
        using var other = platform.ClientOf(OtherKey);
        var grains = platform.Services.GetRequiredService<IGrainFactory>();

        // The owner's upload, stored by the gateway as usual.
        var captioned = await platform.Client.PostAsync("/v1/images/captions", StoredFiles.Multipart(StoredFiles.NoisePng(32, 1)));
        await captioned.ExpectJson(HttpStatusCode.OK);
        var ownersJob = await grains.GetGrain<IJobGrain>(captioned.Headers.GetValues("X-Job-Id").Single()).GetAsync();
        string uploadId = ownersJob!.Spec.InputFileId!;

        // A job of the other tenant naming that upload (a gateway bug, or an id that leaked) gets no caption of it.
        string jobId = JobIds.New();
        var submitted = await grains.GetGrain<IJobGrain>(jobId).SubmitAsync(
            new JobSpec { TenantId = "other", Kind = JobKind.Caption, InputFileId = uploadId, RequestHash = "stolen" }, new TenantLimits());
        Assert.True(submitted.Accepted);
        var job = await JobTests.WaitForEnd(other, jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("results").GetArrayLength());
        Assert.Equal("input_unavailable", job.GetProperty("error_code").GetString());
        Assert.DoesNotContain(uploadId, job.GetProperty("error").GetString());
    }
}
