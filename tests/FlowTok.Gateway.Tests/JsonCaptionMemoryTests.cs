using System.Security.Cryptography;
using System.Text;
using FlowTok.Gateway.Uploads;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Tests;

/// <summary>
/// A JSON caption body costs about the body and the decoded image, not copies of the base64 text (a UTF-16 string of it
/// is twice the body) and of the decoded bytes.
/// </summary>
public sealed class JsonCaptionMemoryTests
{
    [Fact]
    public async Task ReadingAJsonCaptionAllocatesLittleMoreThanTheBodyAndTheImage()
    {
        // Not an image (refused after decoding): what is measured is reading and decoding, not the image decoder.
        byte[] image = RandomNumberGenerator.GetBytes(6_000_000);
        byte[] body = Encoding.UTF8.GetBytes($"{{\"image\":\"{Convert.ToBase64String(image)}\",\"steps\":4}}");
        var http = new DefaultHttpContext();
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body, writable: false);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var read = CaptionInputs.ReadAsync(http.Request, CancellationToken.None);
        // A memory stream completes every read at once, so all the work happened on this thread and was counted.
        Assert.True(read.IsCompleted);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var (_, problem) = await read;
        Assert.Equal(400, problem!.StatusCode); // decoded, then refused as not an image
        long budget = body.Length + image.Length + image.Length / 5;
        Assert.True(allocated < budget, $"reading a {body.Length:N0}-byte body allocated {allocated:N0} bytes (budget {budget:N0})");
    }
}

public sealed class Base64ImageTests
{
    [Fact]
    public void AnEscapedBase64StringIsDecodedLikeAPlainOne()
    {
        byte[] image = new byte[300];
        new Random(7).NextBytes(image);
        string base64 = Convert.ToBase64String(image);
        Assert.Contains('/', base64);
        // Some JSON encoders escape '/' (PHP) and wrap base64 in lines ("\n").
        string escaped = base64.Replace("/", "\\/", StringComparison.Ordinal).Insert(76, "\\n");
        var parsed = Requests.JsonBody.Parse<Requests.CaptionRequest>(Encoding.UTF8.GetBytes($"{{\"image\":\"{escaped}\"}}"));
        Assert.Equal(image, parsed.Value!.Image!.Bytes);
    }

    [Fact]
    public void AnImageThatIsNotAStringIsAFieldError()
    {
        var parsed = Requests.JsonBody.Parse<Requests.CaptionRequest>("{\"image\": 12}"u8);
        Assert.Equal(400, parsed.Problem!.StatusCode);
        Assert.Contains("image", ((Microsoft.AspNetCore.Http.HttpValidationProblemDetails)parsed.Problem.ProblemDetails).Errors.Keys);
    }
}
