using FlowTok.Model.Loading;
using System.Net;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Platform.Tests;

/// <summary>
/// OpenAI's remaining image fields: output_format and output_compression (real JPEG and WebP bytes, part of the cache key),
/// size "auto", quality as sampler steps, background, user and safety_identifier kept with the job, and usage.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ImageOptionsTests(PlatformFixture platform)
{
    private const string Prompt = "a blue triangle on a yellow background";

    [Theory]
    [InlineData("jpeg", "image/jpeg")]
    [InlineData("webp", "image/webp")]
    public async Task OutputFormatsAreRealImagesOfThatFormat(string format, string mediaType)
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var body = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, steps = 2, seed = 61, output_format = format, output_compression = 80 }))
            .ExpectJson(HttpStatusCode.OK);
        Assert.Equal(format, body.GetProperty("output_format").GetString());
        byte[] bytes = Convert.FromBase64String(body.GetProperty("data")[0].GetProperty("b64_json").GetString()!);
        var detected = Image.DetectFormat(bytes);
        Assert.Equal(format == "jpeg" ? JpegFormat.Instance : WebpFormat.Instance, detected);
        using (var image = Image.Load<Rgb24>(bytes))
            Assert.Equal(body.GetProperty("size").GetString(), $"{image.Width}x{image.Height}");

        var linked = await (await client.PostJson("/v1/images/generations",
            new { prompt = Prompt, steps = 2, seed = 61, output_format = format, output_compression = 80, response_format = "url" })).ExpectJson(HttpStatusCode.OK);
        var file = await platform.Client(null).GetAsync(linked.GetProperty("data")[0].GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(mediaType, file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await file.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task CompressionChangesTheBytesAndIsPartOfTheCacheKey()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        object Request(int compression) => new { prompt = Prompt, steps = 2, seed = 62, output_format = "jpeg", output_compression = compression };
        var fine = await client.PostJson("/v1/images/generations", Request(95));
        var coarse = await client.PostJson("/v1/images/generations", Request(5));
        var png = await client.PostJson("/v1/images/generations", new { prompt = Prompt, steps = 2, seed = 62 });
        Assert.Equal("miss", fine.Headers.GetValues("X-Cache").Single());
        Assert.Equal("miss", coarse.Headers.GetValues("X-Cache").Single());
        Assert.Equal("miss", png.Headers.GetValues("X-Cache").Single());
        int fineBytes = (await ImageBytes(fine)).Length, coarseBytes = (await ImageBytes(coarse)).Length;
        Assert.True(coarseBytes < fineBytes, $"compression 5 gave {coarseBytes} bytes, 95 gave {fineBytes}");
        Assert.Equal(0x89, (await ImageBytes(png))[0]); // the PNG signature

        var again = await client.PostJson("/v1/images/generations", Request(5));
        Assert.Equal("hit", again.Headers.GetValues("X-Cache").Single());
        Assert.Equal(coarseBytes, (await ImageBytes(again)).Length);
    }

    [Fact]
    public async Task SizeAutoIsTheModelsSizeAndUsageCountsTokens()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var auto = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, steps = 2, seed = 63, n = 2, size = "auto" }))
            .ExpectJson(HttpStatusCode.OK);
        var plain = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, steps = 2, seed = 64 })).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(plain.GetProperty("size").GetString(), auto.GetProperty("size").GetString());
        var usage = auto.GetProperty("usage");
        Assert.Equal(77, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(2 * 77, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(3 * 77, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(77, usage.GetProperty("input_tokens_details").GetProperty("text_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("input_tokens_details").GetProperty("image_tokens").GetInt32());
    }

    [Theory]
    [InlineData("low", null, 10)]
    [InlineData("high", null, 30)]
    [InlineData("auto", null, 0)] // 0: the served model's own default steps (its model_index.json)
    [InlineData("high", 3, 3)]
    public async Task QualityIsStepsUnlessStepsAreGiven(string quality, int? steps, int expectedSteps)
    {
        if (expectedSteps == 0)
        {
            var bundled = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
                ?? throw new InvalidOperationException("the bundled model models/default was not found");
            expectedSteps = ModelDirectory.Open(bundled).Index.Defaults.Steps;
        }
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.PostJson("/v1/images/generations", new { prompt = Prompt, seed = 65 + expectedSteps, quality, steps });
        var body = await response.ExpectJson(HttpStatusCode.OK);
        Assert.Equal(quality, body.GetProperty("quality").GetString());
        var job = await (await client.GetAsync($"/v1/jobs/{response.Headers.GetValues("X-Job-Id").Single()}")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(expectedSteps, job.GetProperty("progress").GetProperty("total_steps").GetInt32());
    }

    [Fact]
    public async Task EndUserIdsAreKeptWithTheJobForItsTenantOnly()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.PostJson("/v1/images/generations",
            new { prompt = Prompt, steps = 2, seed = 66, user = "end-user-17", safety_identifier = "hashed-42", background = "opaque" });
        var body = await response.ExpectJson(HttpStatusCode.OK);
        Assert.Equal("opaque", body.GetProperty("background").GetString());
        string jobPath = $"/v1/jobs/{response.Headers.GetValues("X-Job-Id").Single()}";
        var job = await (await client.GetAsync(jobPath)).ExpectJson(HttpStatusCode.OK);
        Assert.Equal("end-user-17", job.GetProperty("user").GetString());
        Assert.Equal("hashed-42", job.GetProperty("safety_identifier").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await platform.Client(PlatformFixture.KeyB).GetAsync(jobPath)).StatusCode);
    }

    [Theory]
    [InlineData("background", "{\"background\":\"transparent\"}", "transparent")]
    [InlineData("background", "{\"background\":\"sparkly\"}", "opaque")]
    [InlineData("output_format", "{\"output_format\":\"gif\"}", "webp")]
    [InlineData("output_compression", "{\"output_format\":\"jpeg\",\"output_compression\":101}", "between 0 and 100")]
    [InlineData("output_compression", "{\"output_compression\":50}", "jpeg")]
    [InlineData("quality", "{\"quality\":\"ultra\"}", "low")]
    [InlineData("user", "{}", "at most 256")]
    public async Task BadImageOptionsAreRefusedWithTheFieldNamed(string field, string extra, string mentioned)
    {
        // The extra fields joined to a valid request: only the named field is wrong.
        var fields = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(extra)!;
        if (field == "user") fields["user"] = JsonSerializer.SerializeToElement(new string('u', 257)); // too long to keep
        fields["prompt"] = JsonSerializer.SerializeToElement(Prompt);
        using var client = platform.Client(PlatformFixture.KeyA);
        var problem = await (await client.PostJson("/v1/images/generations", fields)).ExpectJson(HttpStatusCode.BadRequest);
        string message = string.Join(" ", problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(mentioned, message);
    }

    private static async Task<byte[]> ImageBytes(HttpResponseMessage response) =>
        Convert.FromBase64String((await response.ExpectJson(HttpStatusCode.OK)).GetProperty("data")[0].GetProperty("b64_json").GetString()!);
}
