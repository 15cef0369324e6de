using FlowTok.Contracts.Models;
using FlowTok.Gateway.Auth;
using FlowTok.Gateway.Jobs;
using FlowTok.Storage;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Tests;

public class PlumbingTests
{
    [Theory]
    [InlineData("Bearer sk-123", "sk-123")]
    [InlineData("bearer   sk-123  ", "sk-123")]
    [InlineData("Bearer ", null)]
    [InlineData("Basic dXNlcjpwYXNz", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void BearerKeyIsReadFromTheAuthorizationHeader(string? header, string? key) => Assert.Equal(key, TenantAuthentication.BearerKey(header));

    [Theory]
    [InlineData(600, 10, 1)]
    [InlineData(60, 1, 1)]
    [InlineData(30, 1, 2)]
    [InlineData(0, 1, 60)]
    public void TenantBucketHoldsAMinuteOfRequests(int rpm, int tokensPerPeriod, double periodSeconds)
    {
        var bucket = TenantRateLimit.Bucket(rpm);
        Assert.Equal(Math.Max(1, rpm), bucket.TokenLimit);
        Assert.Equal(tokensPerPeriod, bucket.TokensPerPeriod);
        Assert.Equal(TimeSpan.FromSeconds(periodSeconds), bucket.ReplenishmentPeriod);
        Assert.Equal(0, bucket.QueueLimit);
    }

    [Fact]
    public void TooManyRequestsSetsRetryAfterInWholeSeconds()
    {
        var http = new DefaultHttpContext();
        var problem = Problems.TooManyRequests(http, TimeSpan.FromMilliseconds(1200), "slow down", "concurrency");
        Problem.HasStatus(429, problem);
        Assert.Equal("2", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal(2, problem.ProblemDetails.Extensions["retry_after"]);
        Assert.Equal("concurrency", problem.ProblemDetails.Extensions["code"]);

        Problems.TooManyRequests(http, TimeSpan.Zero, "now");
        Assert.Equal("1", http.Response.Headers.RetryAfter.ToString());
    }

    private static RegisteredModel Replica(string key, string version, int size, bool t2i = true, bool i2t = true) =>
        new(key, new ModelDescriptor { Version = version, ImageSize = size, TextToImage = t2i, ImageToText = i2t }, DateTimeOffset.UtcNow);

    [Fact]
    public void ServedModelIsTheVersionMostReplicasAnnounce()
    {
        var served = ServedModels.Choose([Replica("a/cpu:0", "v1", 256), Replica("b/cpu:0", "v2", 512), Replica("c/cpu:0", "v2", 512)], m => m.TextToImage);
        Assert.Equal(new[] { 512 }, served!.SupportedSizes);
        Assert.Equal("v2", served.Version);
        Assert.Equal(512, served.NativeSize);
    }

    [Fact]
    public async Task AnEmptyRegistryReadRightAfterReplicasWereSeenKeepsThemForTheGracePeriodOnly()
    {
        var registry = new ScriptedRegistry();
        var clock = new ManualClock();
        var served = new ServedModels(registry, clock);
        registry.Models = [Replica("a/cpu:0", "v1", 256)];
        Assert.Equal("v1", (await served.ForGenerationAsync())!.Version);

        registry.Models = [];
        clock.Advance(ServedModels.CacheFor);
        Assert.Equal("v1", (await served.ForGenerationAsync())!.Version);
        clock.Advance(ServedModels.EmptyReadGrace);
        Assert.Null(await served.ForGenerationAsync());

        registry.Models = [Replica("b/cpu:0", "v2", 256)];
        Assert.Equal("v2", (await served.ForGenerationAsync())!.Version); // a new replica is noticed at once
        Assert.Equal(4, registry.Reads);
    }

    private sealed class ScriptedRegistry : IModelRegistry
    {
        public IReadOnlyList<RegisteredModel> Models { get; set; } = [];
        public int Reads { get; private set; }
        public Task AnnounceAsync(string grainKey, ModelDescriptor model, TimeSpan timeToLive) => throw new NotSupportedException();
        public Task WithdrawAsync(string grainKey) => throw new NotSupportedException();
        public Task<IReadOnlyList<RegisteredModel>> ListAsync()
        {
            Reads++;
            return Task.FromResult(Models);
        }
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public void Advance(TimeSpan by) => now += by;
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task ARequestNamingNoModelGetsTheFirstConfiguredThatCanDoTheTask()
    {
        static RegisteredModel Of(string key, string name, int position, bool t2i = true, bool i2t = true) =>
            new(key, new ModelDescriptor { Name = name, Version = $"{name}@1", ImageSize = 64, TextToImage = t2i, ImageToText = i2t, Position = position }, DateTimeOffset.UtcNow);
        var registry = new ScriptedRegistry
        {
            Models = [Of("a/cpu:1", "b-second", 1), Of("a/cpu:0", "z-first", 0, i2t: false), Of("b/cpu:0", "b-second", 0)],
        };
        var served = new ServedModels(registry, new ManualClock());

        // Both are some silo's first model: the smaller id. Captions: the only one that captions.
        Assert.Equal("b-second", (await served.ForGenerationAsync())!.Id);
        Assert.Equal("b-second", (await served.ForCaptionAsync())!.Id);
        Assert.Equal("z-first", (await served.ForGenerationAsync("z-first"))!.Id);
        Assert.Null(await served.ForCaptionAsync("z-first"));
        Assert.Null(await served.ForGenerationAsync("missing"));

        registry.Models = [Of("a/cpu:1", "b-second", 1), Of("a/cpu:0", "z-first", 0)];
        var fresh = new ServedModels(registry, new ManualClock());
        Assert.Equal("z-first", (await fresh.ForGenerationAsync())!.Id);
        Assert.Equal(["z-first", "b-second"], (await fresh.ListAsync()).Select(m => m.Id)); // the default first
    }

    [Fact]
    public void NoCapableModelMeansNoServedModel()
    {
        Assert.Null(ServedModels.Choose([], m => m.TextToImage));
        Assert.Null(ServedModels.Choose([Replica("a/cpu:0", "v1", 256, i2t: false)], m => m.ImageToText));
    }
}
