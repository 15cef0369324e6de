using System.Net;
using FlowTok.Contracts.Models;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Storage.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Platform.Tests;

/// <summary>What requests without a valid key, invented methods and paths, and readiness probes cost the platform.</summary>
public sealed class UnauthenticatedCostTests
{
    [Fact]
    public async Task ARepeatedBadKeyIsNotLookedUpAgainButAKeyAddedLaterWorks()
    {
        await using var platform = await SimulatedPlatform.StartAsync("badkeys", []);
        const string guessed = "ftk-guessed-0123456789abcdef0123456789";
        using var guesser = platform.ClientOf(guessed);
        await (await guesser.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.Unauthorized);

        // The key now exists in Redis, written behind the directory's back: only a new lookup would find it.
        var redis = platform.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keys = new RedisKeys(platform.Services.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix);
        await redis.StringSetAsync(keys.TenantApiKey(RedisKeys.Sha256Hex(guessed)), "badkeys");
        await (await guesser.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.Unauthorized);

        // Added through the directory (as the admin API and configuration do), it works at once.
        await platform.Services.GetRequiredService<ITenantDirectory>().AddKeyAsync(new TenantInfo { Id = "badkeys" }, guessed);
        await (await guesser.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.OK);
    }

    [Fact]
    public async Task FailedAuthenticationsAreLimitedPerClientAddress()
    {
        await using var platform = await SimulatedPlatform.StartAsync("guessing",
            ["--Gateway:UnauthenticatedRequestsPerMinute=5", "--Gateway:TrustedProxies:0=127.0.0.1"]);
        using var anonymous = new HttpClient { BaseAddress = platform.Client.BaseAddress };
        Task<HttpResponseMessage> From(string address, string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/usage");
            request.Headers.Add("X-Forwarded-For", address);
            if (key is not null) request.Headers.Authorization = new("Bearer", key);
            return anonymous.SendAsync(request);
        }
        string tenantKey = platform.Client.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.Equal(HttpStatusCode.OK, (await From("203.0.113.7", tenantKey)).StatusCode);

        for (var i = 0; i < 5; i++)
            await (await From("203.0.113.7", i % 2 == 0 ? null : $"ftk-guess-{i}-0123456789abcdef0123456789")).ExpectJson(HttpStatusCode.Unauthorized);
        var limited = await From("203.0.113.7", "ftk-guess-5-0123456789abcdef0123456789");
        var problem = await limited.ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Equal("authentication_rate_limit", problem.GetProperty("code").GetString());
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);

        // A blocked address's keys are not even looked up: a valid key this gateway has not seen yet is refused too.
        string unseen = await platform.Services.GetRequiredService<ITenantDirectory>().CreateKeyAsync(new TenantInfo { Id = "guessing" });
        await (await From("203.0.113.7", unseen)).ExpectJson(HttpStatusCode.TooManyRequests);

        // Another address is not affected, nor is a key the gateway already knows.
        await (await From("203.0.113.8", "ftk-guess-6-0123456789abcdef0123456789")).ExpectJson(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await From("203.0.113.7", tenantKey)).StatusCode);
    }

    [Fact]
    public async Task InventedMethodsAndPathsAddNoSeriesToMetrics()
    {
        await using var platform = await SimulatedPlatform.StartAsync("series", []);
        using var anonymous = new HttpClient { BaseAddress = platform.Client.BaseAddress };
        async Task Noise(int i)
        {
            await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod($"M{i}X"), $"/v1/jobs/job-{i}"));
            await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod($"M{i}Y"), $"/nowhere/{i}"));
            await platform.Client.GetAsync($"/v1/jobs/job-{i}");
            await anonymous.GetAsync($"/random-{i}/path");
        }
        for (var i = 0; i < 50; i++) await Noise(i);

        // Prometheus' registry is the process's, shared with tests running meanwhile, so no series count is compared:
        // every method label is a standard method (or the bucket for the rest), and no path is a label.
        var text = await anonymous.GetStringAsync("/metrics");
        var methods = System.Text.RegularExpressions.Regex.Matches(text, "method=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Subset(new HashSet<string> { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "other", "_OTHER" }, methods);
        Assert.Contains("_OTHER", methods); // ASP.NET Core's HTTP meter: the invented methods' one bucket
        foreach (var invented in new[] { "/nowhere/", "random-", "job-" })
            Assert.DoesNotContain(invented, text);
    }

    [Fact]
    public async Task ReadinessProbesShareOneCheck()
    {
        var registry = new CountingRegistry();
        await using var platform = await SimulatedPlatform.StartAsync("probes", ["--Gateway:ReadinessCacheTime=00:00:30"], services =>
            services.AddSingleton<IModelRegistry>(sp => registry.Wrap(ActivatorUtilities.CreateInstance<RedisModelRegistry>(sp))));
        int before = registry.Lists;

        for (var i = 0; i < 50; i++) Assert.Equal(HttpStatusCode.OK, (await platform.Client.GetAsync("/health/ready")).StatusCode);

        Assert.True(registry.Lists - before <= 2, $"50 probes listed the registry {registry.Lists - before} times");
    }

    private sealed class CountingRegistry : IModelRegistry
    {
        private IModelRegistry inner = null!;
        private int lists;
        public int Lists => Volatile.Read(ref lists);
        public IModelRegistry Wrap(IModelRegistry registry) { inner = registry; return this; }
        public Task AnnounceAsync(string grainKey, ModelDescriptor model, TimeSpan timeToLive) => inner.AnnounceAsync(grainKey, model, timeToLive);
        public Task WithdrawAsync(string grainKey) => inner.WithdrawAsync(grainKey);
        public Task<IReadOnlyList<RegisteredModel>> ListAsync()
        {
            Interlocked.Increment(ref lists);
            return inner.ListAsync();
        }
    }
}
