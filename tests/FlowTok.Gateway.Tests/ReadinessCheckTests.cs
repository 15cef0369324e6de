using FlowTok.Contracts.Models;
using FlowTok.Gateway;
using FlowTok.Gateway.Health;
using FlowTok.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Tests;

/// <summary>/health/ready's shared check: a ready answer is reused for the configured time, a not-ready one for at most a
/// second, so a replica that comes up is seen at once while a probe flood still costs one check per period.</summary>
public sealed class ReadinessCheckTests
{
    [Fact]
    public async Task ANotReadyAnswerIsReusedForAtMostASecondAndAReadyOneForTheConfiguredTime()
    {
        var registry = new ListedModels();
        var time = new ManualTime();
        var services = new ServiceCollection().AddSingleton<IModelRegistry>(registry).BuildServiceProvider();
        var check = new ReadinessCheck(services, Options.Create(new GatewayOptions { ReadinessCacheTime = TimeSpan.FromSeconds(30) }), time);

        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        registry.Models = [new RegisteredModel("node/sim:0", new ModelDescriptor { Version = "m@1", ImageSize = 64, TextToImage = true, ImageToText = false }, DateTimeOffset.UtcNow)];
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        time.Advance(ReadinessCheck.MaxNotReadyReuse);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        int lists = registry.Lists;

        registry.Models = [];
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Equal(lists, registry.Lists);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Equal(lists + 1, registry.Lists);
    }

    private sealed class ListedModels : IModelRegistry
    {
        public IReadOnlyList<RegisteredModel> Models { get; set; } = [];
        public int Lists { get; private set; }
        public Task AnnounceAsync(string grainKey, ModelDescriptor model, TimeSpan timeToLive) => Task.CompletedTask;
        public Task WithdrawAsync(string grainKey) => Task.CompletedTask;
        public Task<IReadOnlyList<RegisteredModel>> ListAsync()
        {
            Lists++;
            return Task.FromResult(Models);
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => now;
        public void Advance(TimeSpan by) => now += by;
    }
}
