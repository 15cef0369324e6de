using System.Net;
using FlowTok.Silo.Hosting;

namespace FlowTok.Platform.Tests;

/// <summary>
/// A job whose items never come back fails at its deadline with the reason instead of staying "running" forever.
/// Its own host: a simulated device that needs a minute per batch, and a 2-second job timeout.
/// </summary>
public sealed class JobDeadlineTests : IAsyncLifetime
{
    private const string Key = "ftk-test-deadline-0123456789abcdef";
    private Microsoft.AspNetCore.Builder.WebApplication? app;
    private Uri address = null!;

    public async Task InitializeAsync()
    {
        (app, address) = await PlatformHost.StartAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--Cluster:SiloPort={PlatformFixture.FreePort()}", $"--Cluster:GatewayPort={PlatformFixture.FreePort()}",
            "--Cluster:SiloName=deadline-node",
            "--Model:Devices:0=sim:0", "--Model:Simulated:BatchLatency=00:01:00", "--Model:Simulated:ItemLatency=00:00:00",
            "--Platform:JobTimeout=00:00:02", "--Platform:DevelopmentTenant=false",
            "--Tenants:0:Id=deadline", $"--Tenants:0:Key={Key}",
            "--Logging:LogLevel:Default=Error",
        ]);
    }

    [Fact]
    public async Task AJobThatNeverFinishesFailsAtItsDeadline()
    {
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Key);
        for (var ready = DateTime.UtcNow.AddSeconds(30); (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK;)
        {
            Assert.True(DateTime.UtcNow < ready, "the simulated replica was not announced");
            await Task.Delay(100);
        }
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 60 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;

        var done = await JobTests.WaitForEnd(client, id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("timed out", done.GetProperty("error").GetString());
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
