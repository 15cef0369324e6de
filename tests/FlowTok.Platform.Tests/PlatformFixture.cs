using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Models;
using FlowTok.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>
/// The one-machine platform started in process exactly as <c>flowtok-platform</c> starts it (embedded Redis, in-memory
/// bus, Orleans silo, the bundled model on CPU), listening on a loopback port; two tenants plus a rate-limited one.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string KeyA = "ftk-test-tenant-a-0123456789abcdef";
    public const string KeyB = "ftk-test-tenant-b-0123456789abcdef";
    public const string KeySlow = "ftk-test-tenant-slow-0123456789ab";
    public const int SlowRequestsPerMinute = 3;
    public const string KeyQuota = "ftk-test-tenant-quota-0123456789a";
    public const int Quota = 3;

    private WebApplication? app;

    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => app!.Services;

    public async Task InitializeAsync()
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--Cluster:SiloPort={FreePort()}",
            $"--Cluster:GatewayPort={FreePort()}",
            "--Cluster:SiloName=test-node",
            "--Platform:DevelopmentTenant=false",
            "--Model:MaxBatchSize=8",
            "--Model:MaxQueueDelay=00:00:00.020",
            "--Tenants:0:Id=tenant-a", $"--Tenants:0:Key={KeyA}", "--Tenants:0:RequestsPerMinute=100000", "--Tenants:0:MaxConcurrentJobs=64",
            "--Tenants:1:Id=tenant-b", $"--Tenants:1:Key={KeyB}", "--Tenants:1:RequestsPerMinute=100000",
            "--Tenants:2:Id=tenant-slow", $"--Tenants:2:Key={KeySlow}", $"--Tenants:2:RequestsPerMinute={SlowRequestsPerMinute}",
            "--Tenants:3:Id=tenant-quota", $"--Tenants:3:Key={KeyQuota}", "--Tenants:3:RequestsPerMinute=100000", $"--Tenants:3:ItemQuota={Quota}",
            "--Logging:LogLevel:Default=Warning",
        ];
        (app, BaseAddress) = await PlatformHost.StartAsync(args);
        await WaitUntilReady();
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Items the model replicas have run so far: unchanged when a request was refused before reaching a model.</summary>
    public async Task<long> ModelItemsAsync()
    {
        var grains = Services.GetRequiredService<IGrainFactory>();
        long total = 0;
        foreach (var key in Services.GetRequiredService<LocalModels>().Keys)
            total += (await grains.GetGrain<IModelGrain>(key).GetStatsAsync()).Items;
        return total;
    }

    private async Task WaitUntilReady()
    {
        using var client = Client(null);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK) return;
            await Task.Delay(200);
        }
        throw new TimeoutException("the platform did not become ready within 2 minutes (model not loaded?)");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
