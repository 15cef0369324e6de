using System.Diagnostics;
using System.Net;
using FlowTok.Contracts.Images;
using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Models;
using FlowTok.Gateway.Jobs;
using FlowTok.Gateway.Tests;
using FlowTok.Grains.Models;
using FlowTok.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Hostile uploads over real HTTP: refused with a problem document quickly, never a 500 and never at a model; what a
/// model silo decodes is the canonical PNG the gateway made, and a silo refuses anything else.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class UploadSafetyTests(PlatformFixture platform)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    private static byte[] Attack(string name) => name switch
    {
        "zTXt bomb" => HostileImages.ZtxtBomb(HostileImages.Gigabyte),
        "iCCP bomb" => HostileImages.IccpBomb(HostileImages.Gigabyte),
        "eXIf bomb" => HostileImages.ExifBomb(),
        "pixel bomb" => HostileImages.PixelBomb(20_000),
        "truncated" => HostileImages.Truncated(HostileImages.Gradient(128, 128)),
        "corrupt" => HostileImages.CorruptImageData(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("zTXt bomb", "json", 400)]
    [InlineData("zTXt bomb", "multipart", 400)]
    [InlineData("iCCP bomb", "json", 400)]
    [InlineData("eXIf bomb", "multipart", 400)]
    [InlineData("pixel bomb", "json", 413)]
    [InlineData("truncated", "multipart", 400)]
    [InlineData("corrupt", "json", 400)]
    public async Task HostileUploadsAreRefusedQuicklyWithAProblem(string attack, string encoding, int status)
    {
        using var client = platform.Client(PlatformFixture.KeyB);
        byte[] image = Attack(attack);
        var before = await ModelItems();
        long started = Stopwatch.GetTimestamp();
        var response = encoding == "json"
            ? await client.PostJson("/v1/images/captions", new { image = Convert.ToBase64String(image) })
            : await client.PostAsync("/v1/images/captions", StoredFiles.Multipart(image));
        var took = Stopwatch.GetElapsedTime(started);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{attack}: expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(took < Generous, $"{attack} took {took.TotalSeconds:0.0} s");
        Assert.Equal(before, await ModelItems());
    }

    [Fact]
    public async Task TheModelIsGivenTheCanonicalPngNotTheUpload()
    {
        using var client = platform.Client(PlatformFixture.KeyB);
        byte[] upload = HostileImages.Gradient(64, 64, ("tEXt", [.. "Comment"u8, 0, .. "sent by the client"u8]));
        var response = await client.PostAsync("/v1/images/captions", StoredFiles.Multipart(upload));
        await response.ExpectJson(HttpStatusCode.OK);
        string jobId = response.Headers.GetValues("X-Job-Id").Single();

        var job = await platform.Services.GetRequiredService<IGrainFactory>().GetGrain<IJobGrain>(jobId).GetAsync();
        string fileId = job!.Spec.InputFileId!;
        var stored = await platform.Services.GetRequiredService<IFileStore>().GetAnyTenantAsync(fileId);
        Assert.NotNull(stored);
        Assert.NotEqual(upload, stored.Bytes);
        Assert.Null(CanonicalImage.Problem(stored.Bytes));
        Assert.Equal(Pixels(upload), Pixels(stored.Bytes));

        // What the tenant downloads is that PNG too, and browsers are told not to sniff it.
        var download = await client.GetAsync($"/v1/files/{fileId}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("image/png", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(stored.Bytes, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AModelSiloRefusesAnUploadThePlatformDidNotMake()
    {
        // A client's own bytes put straight into the file store (as a bug or a compromised gateway might): the silo does
        // not decode them, the job fails saying why, and the model runs nothing.
        byte[] original = HostileImages.ZtxtBomb(HostileImages.Gigabyte);
        string fileId = await platform.Services.GetRequiredService<IFileStore>().PutAsync("tenant-b", original, "image/png");
        var grain = platform.Services.GetRequiredService<IGrainFactory>().GetGrain<IJobGrain>(JobIds.New());
        var before = await ModelItems();
        var submitted = await grain.SubmitAsync(new JobSpec { TenantId = "tenant-b", Kind = JobKind.Caption, InputFileId = fileId, RequestHash = "test" }, new TenantLimits());
        Assert.True(submitted.Accepted);

        var job = await grain.WaitForEndAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.Equal(ItemFailures.InvalidInput, Assert.Single(job.Failures).Value);
        Assert.Equal(before, await ModelItems());
    }

    private static Rgb24[] Pixels(byte[] png)
    {
        using var image = Image.Load<Rgb24>(png);
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private async Task<long> ModelItems()
    {
        var grains = platform.Services.GetRequiredService<IGrainFactory>();
        long total = 0;
        foreach (var key in platform.Services.GetRequiredService<LocalModels>().Keys)
            total += (await grains.GetGrain<IModelGrain>(key).GetStatsAsync()).Items;
        return total;
    }
}
