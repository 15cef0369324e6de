using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>An OTLP/HTTP collector on a loopback port that keeps the raw protobuf bodies per signal (traces, metrics, logs).
/// (In the test's process its own requests are traced too, by the platform's tracer: ASP.NET Core's source is process-wide.)</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> received = new();

    private OtlpReceiver(WebApplication app) => this.app = app;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var receiver = new OtlpReceiver(builder.Build());
        receiver.app.MapPost("/v1/{signal}", async (string signal, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            receiver.received.Enqueue((signal, body.ToArray()));
            return Results.Ok();
        });
        await receiver.app.StartAsync();
        receiver.Endpoint = new Uri(receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>The bodies received so far for <paramref name="signal"/> ("traces", "metrics", "logs").</summary>
    public IReadOnlyList<byte[]> Bodies(string signal) => received.Where(r => r.Signal == signal).Select(r => r.Body).ToList();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
