using System.Security.Cryptography;
using System.Text;
using FlowTok.Gateway.Chat;
using FlowTok.Gateway.Requests;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Tests;

/// <summary>A chat body's image: a data: URL decoded from the body's bytes like a JSON caption's base64, anything else refused.</summary>
public sealed class ChatCaptionInputTests
{
    private static byte[] Body(string url) => Encoding.UTF8.GetBytes(
        $"{{\"model\":\"m\",\"messages\":[{{\"role\":\"user\",\"content\":[{{\"type\":\"text\",\"text\":\"what?\"}},{{\"type\":\"image_url\",\"image_url\":{{\"url\":\"{url}\"}}}}]}}]}}");

    [Fact]
    public async Task ReadingAChatBodyAllocatesLittleMoreThanTheBodyAndTheImage()
    {
        byte[] image = RandomNumberGenerator.GetBytes(6_000_000);
        byte[] body = Body($"data:image/png;base64,{Convert.ToBase64String(image)}");
        var http = new DefaultHttpContext();
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body, writable: false);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var read = JsonBody.ReadAsync<ChatCompletionRequest>(http.Request, CaptionInputs.MaxJsonBodyBytes, CancellationToken.None);
        Assert.True(read.IsCompleted);
        var parsed = await read;
        Assert.Equal(image, parsed.Value!.Messages![0].Content!.Parts[1].ImageUrl!.Url!.Bytes);
        var (_, problem) = ChatCaptionInput.From(parsed.Value);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(400, problem!.StatusCode); // decoded, then refused as not an image
        long budget = body.Length + image.Length + image.Length / 5;
        Assert.True(allocated < budget, $"reading a {body.Length:N0}-byte chat body allocated {allocated:N0} bytes (budget {budget:N0})");
    }

    [Fact]
    public void AnEscapedDataUrlIsDecodedLikeAPlainOne()
    {
        byte[] image = new byte[300];
        new Random(7).NextBytes(image);
        string escaped = Convert.ToBase64String(image).Replace("/", "\\/", StringComparison.Ordinal);
        var parsed = JsonBody.Parse<ChatCompletionRequest>(Body($"DATA:image\\/png;BASE64,{escaped}"));
        Assert.Equal(image, parsed.Value!.Messages![0].Content!.Parts[1].ImageUrl!.Url!.Bytes);
    }

    [Theory]
    [InlineData("https://example.com/cat.png", "fetches nothing")]
    [InlineData("http://127.0.0.1/x.png", "fetches nothing")]
    [InlineData("data:image/png,abc", "base64 data: URL")]
    [InlineData("file:///etc/passwd", "must be a data: URL")]
    [InlineData("", "is empty")]
    public void AnythingButABase64DataUrlIsRefusedSayingWhy(string url, string said)
    {
        var image = DataUrlImage.Decode(Encoding.UTF8.GetBytes(url));
        Assert.Null(image.Bytes);
        Assert.Equal(400, image.Refusal!.Status);
        Assert.Contains(said, image.Refusal.Error);
    }

    [Fact]
    public void AnOversizedDataUrlIs413()
    {
        string base64 = Convert.ToBase64String(new byte[FlowTok.Contracts.Limits.MaxUploadBytes + 3]);
        var image = DataUrlImage.Decode(Encoding.UTF8.GetBytes($"data:image/png;base64,{base64}"));
        Assert.Equal(413, image.Refusal!.Status);
    }
}
