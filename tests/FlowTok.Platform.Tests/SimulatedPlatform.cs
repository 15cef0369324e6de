using System.Net;
using FlowTok.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FlowTok.Platform.Tests;

/// <summary>
/// A one-machine platform in this process whose replica is a simulated device (see Model:Simulated), with one tenant, for
/// tests of the job machinery that must control how long work takes or what happens to its messages.
/// </summary>
internal sealed class SimulatedPlatform : IAsyncDisposable
{
    private readonly WebApplication app;

    private SimulatedPlatform(WebApplication app, Uri address, string key)
    {
        this.app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(3) };
        Client.DefaultRequestHeaders.Authorization = new("Bearer", key);
    }

    /// <summary>An HTTP client of the tenant.</summary>
    public HttpClient Client { get; }

    /// <summary>The platform's services (its grain factory, its Redis connection).</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>An HTTP client of another configured tenant.</summary>
    public HttpClient ClientOf(string key)
    {
        var client = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>Starts the platform with <paramref name="settings"/> on top of the simulated device and tenant, and
    /// returns once its replica is announced (ready).</summary>
    public static async Task<SimulatedPlatform> StartAsync(string name, IEnumerable<string> settings, Action<IServiceCollection>? services = null)
    {
        var key = $"ftk-test-{name}-0123456789abcdef0123";
        WebApplication app;
        Uri address;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                (app, address) = await PlatformHost.StartAsync(
                [
                    "--urls=http://127.0.0.1:0",
                    $"--Cluster:SiloPort={PlatformFixture.FreePort()}", $"--Cluster:GatewayPort={PlatformFixture.FreePort()}",
                    $"--Cluster:SiloName={name}-node",
                    "--Model:Devices:0=sim:0",
                    "--Platform:DevelopmentTenant=false",
                    $"--Tenants:0:Id={name}", $"--Tenants:0:Key={key}",
                    "--Logging:LogLevel:Default=Error",
                    .. settings,
                ], services);
                break;
            }
            catch (Exception e) when (attempt < 3 && IsPortTaken(e))
            {
                // A free port picked for the silo was taken by a test running beside this one before the silo bound it.
            }
        }
        var platform = new SimulatedPlatform(app, address, key);
        for (var ready = DateTime.UtcNow.AddSeconds(30); (await platform.Client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK;)
        {
            if (DateTime.UtcNow > ready)
            {
                await platform.DisposeAsync();
                throw new TimeoutException("the simulated replica was not announced within 30 s");
            }
            await Task.Delay(100);
        }
        return platform;
    }

    private static bool IsPortTaken(Exception e) =>
        e is Microsoft.AspNetCore.Connections.AddressInUseException
        || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
        || (e.InnerException is { } inner && IsPortTaken(inner));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
