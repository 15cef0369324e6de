using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace FlowTok.Infrastructure.Webhooks;

/// <summary>The outcome of one delivery attempt: delivered (a 2xx answer), or why not (the status, or the error).</summary>
public sealed record WebhookAttempt(bool Delivered, int? Status, string? Error);

/// <summary>
/// Makes delivery attempts: one signed POST each, over a client that follows no redirect, uses no proxy (which would
/// reach what the checks refuse) and connects only to addresses it checked itself after resolving the name at that moment
/// (<see cref="WebhookTargets.IsPublic"/>). Only the status is read: the answer's body is never read.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly WebhookOptions options;
    private readonly HttpClient client;
    private readonly TimeProvider time;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    /// <param name="resolve">name resolution (tests: a name that resolves inward); null = DNS</param>
    public WebhookSender(IOptions<WebhookOptions> options, TimeProvider? time = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        this.options = options.Value;
        this.time = time ?? TimeProvider.System;
        this.resolve = resolve ?? Dns.GetHostAddressesAsync;
        client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = this.options.AttemptTimeout,
            // Pooled connections are dropped soon, so a name is resolved (and checked) again rather than trusted for long.
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectCheckedAsync,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("FlowTok-Webhooks", "1"));
    }

    /// <summary>POSTs <paramref name="body"/> (JSON) to <paramref name="url"/>, signed with the tenant's secret.</summary>
    public async Task<WebhookAttempt> SendAsync(string url, string tenantId, string messageId, byte[] body, CancellationToken cancellation)
    {
        if (!options.Enabled) return new(false, null, "Webhooks:SigningKey is not set");
        if (WebhookTargets.Refusal(url, options.AllowPrivateTargets) is { } refusal) return new(false, null, refusal);
        long timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var secret = WebhookSignature.TenantSecret(options.SigningKey!, tenantId);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookSignature.IdHeader, messageId);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, messageId, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.AttemptTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            int status = (int)response.StatusCode;
            return new(status is >= 200 and < 300, status, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return new(false, null, timeout.IsCancellationRequested && !cancellation.IsCancellationRequested
                ? $"no answer within {options.AttemptTimeout}" : Innermost(e).Message);
        }
    }

    private async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, CancellationToken cancellation)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, cancellation);
        if (addresses.Length == 0) throw new HttpRequestException($"'{host}' resolves to no address");
        if (!options.AllowPrivateTargets && addresses.FirstOrDefault(a => !WebhookTargets.IsPublic(a)) is { } inward)
            throw new HttpRequestException($"'{host}' resolves to the non-public address {inward}: refused");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    public void Dispose() => client.Dispose();
}
