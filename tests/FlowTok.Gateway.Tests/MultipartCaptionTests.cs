using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlowTok.Gateway.Tests;

/// <summary>
/// Broken multipart caption bodies, sent over real HTTP to Kestrel on loopback, get a 400 that says what is wrong: not a
/// 500 (the form reader's exceptions reaching the top) and not a 413 about the image's size (a form limit that has nothing
/// to do with it). Found by fuzzing (fuzz/run multipart).
/// </summary>
public sealed class MultipartCaptionTests : IAsyncLifetime
{
    private const string Boundary = "fuzzboundary";
    private WebApplication? app;
    private HttpClient? client;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        // What /v1/images/captions does with a body before a model sees it.
        app.MapPost("/captions", async (HttpRequest request, CancellationToken aborted) =>
        {
            var (input, problem) = await CaptionInputs.ReadAsync(request, aborted);
            return input is null ? (IResult)problem! : Results.Ok(new { input.ContentType, bytes = input.Image.Length });
        });
        await app.StartAsync();
        client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        client?.Dispose();
        if (app is not null) await app.DisposeAsync();
    }

    [Fact]
    public async Task AFormWithItsImageIsAccepted()
    {
        var response = await Post($"multipart/form-data; boundary={Boundary}", Form(HostileImages.Gradient(8, 8)));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ABodyThatEndsInsideTheFormIs400()
    {
        byte[] form = Form(HostileImages.Gradient(8, 8));
        var response = await Post($"multipart/form-data; boundary={Boundary}", form[..(form.Length - 20)]);
        await ExpectBadRequest(response, "truncated");
    }

    [Fact]
    public async Task ABoundaryLongerThanTheFormReaderTakesIs400NotTooLarge()
    {
        string boundary = new('b', 200); // the form reader takes up to 128 (FormOptions.MultipartBoundaryLengthLimit)
        var response = await Post($"multipart/form-data; boundary={boundary}", Form(HostileImages.Gradient(8, 8), boundary));
        await ExpectBadRequest(response, "boundary");
    }

    [Fact]
    public async Task APartWithTooManyHeadersIs400NotTooLarge()
    {
        string headers = string.Concat(Enumerable.Range(0, 20).Select(i => $"X-Header-{i}: {i}\r\n"));
        byte[] body = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"steps\"\r\n{headers}\r\n10\r\n--{Boundary}--\r\n");
        var response = await Post($"multipart/form-data; boundary={Boundary}", body);
        await ExpectBadRequest(response, "headers");
    }

    [Fact]
    public async Task AnImagePartOverTheUploadLimitIs413EvenWithoutContentLength()
    {
        // Chunked, so the size is found by the form reader's part limit while reading, not from the Content-Length header.
        byte[] form = Form(new byte[Contracts.Limits.MaxUploadBytes + 128 * 1024]);
        var content = new StreamContent(new NonSeekable(form));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        var response = await client!.PostAsync("/captions", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"expected 413, got {(int)response.StatusCode}: {body}");
        Assert.Contains("larger than", body);
    }

    [Fact]
    public async Task AChunkedFormFarPastTheUploadLimitIs413BeforeItIsAllRead()
    {
        // Parts each under the image limit, 24 MB together: the form's size stops the reading, not one part's. Sent like
        // curl sends it: chunked, reading the answer while sending, and stopping once it comes.
        byte[] part = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"i.png\"\r\nContent-Type: image/png\r\n\r\n");
        byte[] form = [.. Enumerable.Range(0, 6).SelectMany(_ => part.Concat(new byte[4 << 20]).Concat("\r\n"u8.ToArray())),
            .. Encoding.ASCII.GetBytes($"--{Boundary}--\r\n")];
        var address = new Uri(app!.Urls.Single());
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /captions HTTP/1.1\r\nHost: {address.Authority}\r\nTransfer-Encoding: chunked\r\n" +
            $"Content-Type: multipart/form-data; boundary={Boundary}\r\n\r\n"));
        var answer = ReadAnswerAsync(stream);
        long sent = 0;
        try
        {
            for (; sent < form.Length && !answer.IsCompleted; sent += 64 * 1024)
            {
                int length = (int)Math.Min(64 * 1024, form.Length - sent);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
                await stream.WriteAsync(form.AsMemory((int)sent, length));
                await stream.WriteAsync("\r\n"u8.ToArray());
            }
            if (!answer.IsCompleted) await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // The gateway closed the connection after answering.
        }
        string response = await answer;
        Assert.StartsWith("HTTP/1.1 413", response);
        Assert.Contains("application/problem+json", response);
        // Read up to the limit, plus what was in flight (socket buffers), not the whole body.
        Assert.True(sent < form.Length, $"the whole {form.Length:N0}-byte body was sent before the answer came");
    }

    /// <summary>What the server sent before it closed the connection (or the first 64 KiB).</summary>
    private static async Task<string> ReadAnswerAsync(Stream stream)
    {
        byte[] buffer = new byte[64 * 1024];
        int total = 0;
        try
        {
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total))) > 0)
            {
                total += read;
                if (Encoding.ASCII.GetString(buffer, 0, total).Contains("}", StringComparison.Ordinal)) break;
            }
        }
        catch (IOException) when (total > 0)
        {
            // Reset after the answer.
        }
        return Encoding.ASCII.GetString(buffer, 0, total);
    }

    private async Task<HttpResponseMessage> Post(string contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await client!.PostAsync("/captions", content);
    }

    private static async Task ExpectBadRequest(HttpResponseMessage response, string mentions)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentions, body, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A caption form with the image as its one file part.</summary>
    private static byte[] Form(byte[] image, string boundary = Boundary) =>
    [
        .. Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"i.png\"\r\nContent-Type: image/png\r\n\r\n"),
        .. image,
        .. Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"),
    ];

    /// <summary>A stream HttpClient cannot measure, so it sends the body chunked.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
