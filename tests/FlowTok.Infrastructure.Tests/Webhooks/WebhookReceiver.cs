using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowTok.Infrastructure.Tests.Webhooks;

/// <summary>A webhook receiver on a loopback port (Kestrel): records every POST and answers the scripted statuses in turn,
/// then <see cref="Status"/>.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Queue<int> script;
    private readonly Channel<ReceivedWebhook> received = Channel.CreateUnbounded<ReceivedWebhook>();

    private WebhookReceiver(WebApplication app, IEnumerable<int> script)
    {
        this.app = app;
        this.script = new(script);
    }

    /// <summary>The answer once the script is used up.</summary>
    public int Status { get; set; } = 200;

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync(params int[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, script);
        app.MapPost("/hooks/{**rest}", (Func<HttpContext, Task<IResult>>)receiver.Receive);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hooks/jobs");
        return receiver;
    }

    private async Task<IResult> Receive(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        int status;
        lock (script) status = script.Count > 0 ? script.Dequeue() : Status;
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        await received.Writer.WriteAsync(new ReceivedWebhook(headers, body.ToArray(), status, DateTimeOffset.UtcNow));
        return Results.StatusCode(status);
    }

    /// <summary>The next webhook received, or a failure after <paramref name="timeout"/>.</summary>
    public async Task<ReceivedWebhook> NextAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            return await received.Reader.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no webhook arrived within {timeout}");
        }
    }

    /// <summary>Webhooks already received and not yet taken.</summary>
    public int Waiting => received.Reader.Count;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>One POST as received, with the status it was answered.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body, int AnsweredStatus, DateTimeOffset At)
{
    public string Id => Headers["webhook-id"];

    /// <summary>Verifies the signature as a receiver would, from the Standard Webhooks description alone (not the
    /// platform's code): HMAC-SHA256 keyed with the base64 after <c>whsec_</c>, over <c>id.timestamp.body</c>.</summary>
    public bool IsSignedWith(string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var content = Encoding.UTF8.GetBytes($"{Headers["webhook-id"]}.{Headers["webhook-timestamp"]}.").Concat(Body).ToArray();
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, content));
        return Headers["webhook-signature"].Split(' ').Any(s => s == $"v1,{expected}");
    }
}
