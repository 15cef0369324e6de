using FlowTok.Contracts.Models;
using FlowTok.Contracts;
using FlowTok.Gateway.Requests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Tests;

/// <summary>OpenAI's image fields mapped to what the model has (quality -> steps), the output encoding in the cache key, and
/// signed download links.</summary>
public class OpenAiImageFieldsTests
{
    // A model whose own defaults differ from the paper's: what a request leaves out comes from it.
    private static readonly ServedModel Model = new("v1", 256, [256]) { DefaultSteps = 8, DefaultGuidanceScale = 3 };

    private static GenerationParameters Valid(GenerationRequest request)
    {
        var result = RequestValidation.Generation(request, Model);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        return result.Value!;
    }

    [Theory]
    [InlineData("low", null, 10)]
    [InlineData("medium", null, 20)]
    [InlineData("high", null, 30)]
    [InlineData("auto", null, 8)]
    [InlineData(null, null, 8)]
    [InlineData("low", 7, 7)]
    public void QualityIsStepsUnlessStepsAreGiven(string? quality, int? steps, int expected) =>
        Assert.Equal(expected, Valid(new() { Prompt = "p", Quality = quality, Steps = steps }).Steps);

    [Fact]
    public void OnlyAnEncodingOtherThanPngJoinsTheCacheKey()
    {
        string png = Valid(new() { Prompt = "p", Seed = 1 }).RequestHash;
        Assert.Equal(png, Valid(new() { Prompt = "p", Seed = 1, OutputFormat = "png", Background = "opaque", SafetyIdentifier = "s" }).RequestHash);
        string jpeg80 = Valid(new() { Prompt = "p", Seed = 1, OutputFormat = "jpeg", OutputCompression = 80 }).RequestHash;
        string[] others =
        [
            png, jpeg80,
            Valid(new() { Prompt = "p", Seed = 1, OutputFormat = "jpeg", OutputCompression = 70 }).RequestHash,
            Valid(new() { Prompt = "p", Seed = 1, OutputFormat = "webp", OutputCompression = 80 }).RequestHash,
        ];
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void SizeAutoIsTheNativeSize() => Assert.Equal(Model.NativeSize, Valid(new() { Prompt = "p", Size = "auto" }).Size);

    [Fact]
    public void ATransparentBackgroundIsRefusedAndSaysWhy()
    {
        var result = RequestValidation.Generation(new() { Prompt = "p", Background = "transparent" }, Model);
        Assert.Contains("opaque", Assert.Single(result.Errors["background"]));
    }

    [Fact]
    public void ASignedLinkOpensUntilItExpiresAndNotOnceChanged()
    {
        var clock = new SteppedClock();
        var links = new FileLinks(Options.Create(new GatewayOptions { LinkSigningKey = "a-key-of-the-test-0123456789abcdef" }), clock, NullLogger<FileLinks>.Instance);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(links.File("https://x.example", "tenant-a", "file-1")).Query);
        (string? Tenant, int Status) Verify(string file, string tenant, string expires) =>
            links.Verify(file, tenant, expires, query[FileLinks.SignatureParameter]);
        string expires = query[FileLinks.ExpiresParameter]!;

        Assert.Equal(("tenant-a", 200), Verify("file-1", "tenant-a", expires));
        Assert.Equal(403, Verify("file-2", "tenant-a", expires).Status);
        Assert.Equal(403, Verify("file-1", "tenant-b", expires).Status);
        Assert.Equal(403, Verify("file-1", "tenant-a", (long.Parse(expires) + 3600).ToString()).Status);
        clock.Now += TimeSpan.FromMinutes(61);
        Assert.Equal(410, Verify("file-1", "tenant-a", expires).Status);

        // Another key (another platform, or a restart with a random key) does not accept the link.
        var other = new FileLinks(Options.Create(new GatewayOptions()), clock, NullLogger<FileLinks>.Instance);
        Assert.Equal(403, other.Verify("file-1", "tenant-a", expires, query[FileLinks.SignatureParameter]).Status);
    }

    [Fact]
    public async Task GatewaysWithoutAConfiguredKeyShareTheOneTheirRedisKeeps()
    {
        using var server = new FlowTok.Infrastructure.Redis.EmbeddedRedisServer();
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var clock = new SteppedClock();
        FileLinks Gateway(string prefix) => new(Options.Create(new GatewayOptions()), clock, NullLogger<FileLinks>.Instance, redis,
            Options.Create(new FlowTok.Infrastructure.Redis.RedisOptions { KeyPrefix = prefix }));
        var link = Gateway("platform-1:").File("https://x.example", "tenant-a", "file-1");
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(link).Query);
        (string? Tenant, int Status) VerifyOn(FileLinks gateway) =>
            gateway.Verify("file-1", "tenant-a", query[FileLinks.ExpiresParameter], query[FileLinks.SignatureParameter]);

        Assert.Equal(("tenant-a", 200), VerifyOn(Gateway("platform-1:")));
        // Another platform on the same server (its own key prefix) keeps another key.
        Assert.Equal(403, VerifyOn(Gateway("platform-2:")).Status);
    }

    private sealed class SteppedClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
