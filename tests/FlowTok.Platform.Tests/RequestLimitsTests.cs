using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlowTok.Platform.Tests;

/// <summary>
/// What one client can hold of a gateway, over real HTTP: header size and count, connections, open event streams (per
/// tenant), and the body of a generation job (no larger than a generation request's).
/// </summary>
public sealed class RequestLimitsTests
{
    private const string OtherKey = "ftk-test-limits-other-0123456789abcdef";

    [Fact]
    public async Task AGenerationJobBodyIsLimitedLikeAGenerationRequest()
    {
        await using var platform = await SimulatedPlatform.StartAsync("jobbody", []);
        // Valid JSON, padded past a generation request's 64 KiB (a caption job's body may be ~11 MB).
        string body = "{\"type\":\"generation\",\"prompt\":\"a red circle\",\"steps\":2" + new string(' ', 100_000) + "}";
        var response = await platform.Client.PostRaw("/v1/jobs", body, "application/json");
        var problem = await response.ExpectJson(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("65536", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ATenantBeyondItsOpenEventStreamsGets429AndOthersAreNotAffected()
    {
        await using var platform = await SimulatedPlatform.StartAsync("streams",
        [
            "--Gateway:MaxEventStreamsPerTenant=2", "--Tenants:1:Id=streams-other", $"--Tenants:1:Key={OtherKey}",
            // A job that stays running while the streams are open.
            "--Model:Simulated:BatchLatency=00:00:10", "--Model:Simulated:ItemLatency=00:00:00",
        ]);
        using var other = platform.ClientOf(OtherKey);
        string mine = await SubmitAsync(platform.Client);
        string theirs = await SubmitAsync(other);

        var first = await OpenStreamAsync(platform.Client, mine);
        var second = await OpenStreamAsync(platform.Client, mine);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var third = await OpenStreamAsync(platform.Client, mine);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode); // before reading: an open stream never ends
        var problem = await third.ExpectJson(HttpStatusCode.TooManyRequests);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        Assert.Equal("too_many_event_streams", problem.GetProperty("code").GetString());
        Assert.NotNull(third.Headers.RetryAfter);

        // Another tenant's streams are counted on their own.
        using var others = await OpenStreamAsync(other, theirs);
        Assert.Equal(HttpStatusCode.OK, others.StatusCode);

        // A stream that ends gives its place back.
        first.Dispose();
        HttpResponseMessage again = await OpenStreamAsync(platform.Client, mine);
        for (var until = DateTime.UtcNow.AddSeconds(10); again.StatusCode == HttpStatusCode.TooManyRequests && DateTime.UtcNow < until;)
        {
            again.Dispose();
            await Task.Delay(100);
            again = await OpenStreamAsync(platform.Client, mine);
        }
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        again.Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task ARequestWithTooManyHeadersIsRefused()
    {
        await using var platform = await SimulatedPlatform.StartAsync("headers", []);
        var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        for (int i = 0; i < 80; i++) request.Headers.Add($"X-Filler-{i}", "x");
        var response = await platform.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitAreNotServed()
    {
        // The platform's own client keeps the connection it polled readiness on: with it, three.
        await using var platform = await SimulatedPlatform.StartAsync("connections", ["--Http:MaxConcurrentConnections=3"]);
        var address = platform.Client.BaseAddress!;
        using var a = await ConnectAsync(address);
        using var b = await ConnectAsync(address);
        Assert.Equal(200, await GetOverAsync(a, address));
        Assert.Equal(200, await GetOverAsync(b, address));

        using var c = await ConnectAsync(address);
        Assert.Null(await GetOverAsync(c, address)); // closed without an answer
    }

    private static async Task<string> SubmitAsync(HttpClient client)
    {
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 50 }))
            .ExpectJson(HttpStatusCode.Accepted);
        return job.GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, string jobId) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/events"), HttpCompletionOption.ResponseHeadersRead);

    private static async Task<TcpClient> ConnectAsync(Uri address)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        return tcp;
    }

    /// <summary>The status of a keep-alive GET /health/live over <paramref name="tcp"/>, or null when the connection is closed.</summary>
    private static async Task<int?> GetOverAsync(TcpClient tcp, Uri address)
    {
        try
        {
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /health/live HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"));
            byte[] buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) return null;
            string status = Encoding.ASCII.GetString(buffer, 0, read).Split(' ')[1];
            return int.Parse(status, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
