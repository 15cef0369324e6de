using System.Net;
using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
using FlowTok.Infrastructure.Tests.Backends;
using FlowTok.Gateway.Hosting;
using FlowTok.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace FlowTok.Platform.Tests;

/// <summary>A platform with a configured (shared) Redis never has a development tenant, even one left there before.</summary>
public sealed class DevelopmentTenantTests(RedisServerBackend redis) : IClassFixture<RedisServerBackend>
{
    private const string LeftoverKey = "ftk-leftover-development-key-0123456789";
    private const string TenantKey = "ftk-configured-tenant-key-0123456789ab";

    [Fact]
    public async Task APlatformOnAConfiguredRedisHasNoDevelopmentTenant()
    {
        var options = Options.Create(new RedisOptions { ConnectionString = redis.ConnectionString });
        using var directory = new RedisTenantDirectory(redis.Redis, options);
        await directory.AddKeyAsync(new TenantInfo { Id = TenantSeeding.DevelopmentTenantId }, LeftoverKey);

        var (app, address) = await PlatformHost.StartAsync(
        [
            "--urls=http://127.0.0.1:0", $"--Cluster:SiloPort={PlatformFixture.FreePort()}", $"--Cluster:GatewayPort={PlatformFixture.FreePort()}",
            "--Cluster:SiloName=shared-redis", "--Model:Devices:0=sim:0", $"--Redis:ConnectionString={redis.ConnectionString}",
            "--Tenants:0:Id=configured", $"--Tenants:0:Key={TenantKey}", "--Logging:LogLevel:Default=Error",
        ]);
        try
        {
            using var configured = new HttpClient { BaseAddress = address };
            configured.DefaultRequestHeaders.Authorization = new("Bearer", TenantKey);
            for (var deadline = DateTime.UtcNow.AddSeconds(30); (await configured.GetAsync("/v1/usage")).StatusCode != HttpStatusCode.OK;)
            {
                Assert.True(DateTime.UtcNow < deadline, "the configured tenant was not seeded within 30 s");
                await Task.Delay(100);
            }

            Assert.Null(await directory.FindAsync(TenantSeeding.DevelopmentTenantId));
            using var leftover = new HttpClient { BaseAddress = address };
            leftover.DefaultRequestHeaders.Authorization = new("Bearer", LeftoverKey);
            await (await leftover.GetAsync("/v1/usage")).ExpectJson(HttpStatusCode.Unauthorized);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
