// The client marks gpt-image's fields (output format, compression, usage) as evaluation APIs; they are what is tested here.
#pragma warning disable OPENAI001
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Images;
using OpenAI.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;

namespace FlowTok.Platform.Tests;

/// <summary>The official OpenAI .NET client (NuGet <c>OpenAI</c> 2.15), unmodified but for its endpoint and key, against the
/// one-machine platform: the calls of issue 22's table that are images and models (streaming through the client's protocol
/// method, its only image-streaming call in 2.15).</summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenAiDotnetClientTests(PlatformFixture platform)
{
    private const string Prompt = "a red circle on a blue background";

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(platform.BaseAddress, "/v1"), NetworkTimeout = TimeSpan.FromMinutes(3) };

    private async Task<ImageClient> ImagesAsync(string key = PlatformFixture.KeyA) => new(await ServedModelIdAsync(), new ApiKeyCredential(key), Options);

    private async Task<string> ServedModelIdAsync()
    {
        var models = (await new OpenAIModelClient(new ApiKeyCredential(PlatformFixture.KeyA), Options).GetModelsAsync()).Value;
        return Assert.Single(models, m => m.Id.StartsWith("flowtok", StringComparison.Ordinal)).Id;
    }

    [Fact]
    public async Task ModelsListNamesTheServedModel()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential(PlatformFixture.KeyA), Options);
        var model = Assert.Single((await client.GetModelsAsync()).Value);
        Assert.Equal("flowtok", model.OwnedBy);
        Assert.Equal(model.Id, (await client.GetModelAsync(model.Id)).Value.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetModelAsync("gpt-image-1"));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task GeneratesTwoImagesAsBytes()
    {
        var images = (await (await ImagesAsync()).GenerateImagesAsync(Prompt, 2, new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Bytes })).Value;
        Assert.Equal(2, images.Count);
        foreach (var image in images) Assert.Equal(PngFormat.Instance, Image.DetectFormat(image.ImageBytes.ToArray()));
        Assert.Equal(2 * 77, images.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task TheDefaultFormatIsBytes()
    {
        var image = (await (await ImagesAsync()).GenerateImageAsync(Prompt)).Value;
        Assert.Null(image.ImageUri);
        Assert.Equal(PngFormat.Instance, Image.DetectFormat(image.ImageBytes.ToArray()));
    }

    [Fact]
    public async Task AUrlResultDownloadsWithAPlainGet()
    {
        var image = (await (await ImagesAsync()).GenerateImageAsync(Prompt, new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Uri })).Value;
        using var plain = new HttpClient();
        var file = await plain.GetAsync(image.ImageUri);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(PngFormat.Instance, Image.DetectFormat(await file.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task JpegOutputIsJpeg()
    {
        var options = new ImageGenerationOptions { OutputFileFormat = GeneratedImageFileFormat.Jpeg, OutputCompressionFactor = 70 };
        var images = (await (await ImagesAsync()).GenerateImagesAsync(Prompt, 1, options)).Value;
        Assert.Equal(JpegFormat.Instance, Image.DetectFormat(images[0].ImageBytes.ToArray()));
        Assert.Equal(GeneratedImageFileFormat.Jpeg, images.OutputFileFormat);
    }

    [Fact]
    public async Task SizeAutoIsTheModelsSize()
    {
        // The client's size type has no "auto"; its protocol method (the client's own way to send any field) sends it.
        var client = await ImagesAsync();
        using var request = BinaryContent.Create(BinaryData.FromObjectAsJson(new { model = await ServedModelIdAsync(), prompt = Prompt, size = "auto" }));
        var result = await client.GenerateImagesAsync(request);
        using var body = JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        string size = body.RootElement.GetProperty("size").GetString()!;
        using var decoded = Image.Load(Convert.FromBase64String(body.RootElement.GetProperty("data")[0].GetProperty("b64_json").GetString()!));
        Assert.Equal($"{decoded.Width}x{decoded.Height}", size);
    }

    [Fact]
    public async Task AStreamedGenerationSendsPartialImagesThenTheImage()
    {
        // The client's streaming image call is its protocol method (raw body in, the parsed event stream out): what a .NET user has.
        var client = await ImagesAsync();
        using var request = BinaryContent.Create(BinaryData.FromObjectAsJson(new { model = await ServedModelIdAsync(), prompt = Prompt, stream = true, partial_images = 2, seed = 11 }));
        var stream = await client.GenerateImagesStreamingAsync(request, new RequestOptions());
        var events = new List<JsonElement>();
        await foreach (var item in stream) events.Add(JsonDocument.Parse(item.Data.ToString()).RootElement);

        Assert.Equal(["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([0, 1], events.Take(2).Select(e => e.GetProperty("partial_image_index").GetInt32()));
        var images = events.Select(e => Convert.FromBase64String(e.GetProperty("b64_json").GetString()!)).ToList();
        foreach (var image in images) Assert.Equal(PngFormat.Instance, Image.DetectFormat(image));
        Assert.NotEqual(images[0], images[2]); // a preview is an estimate on the way, not the image
        Assert.True(events[2].GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task ABadRequestIs400()
    {
        // Too long a prompt: the client checks only that there is one, the platform refuses it.
        var client = await ImagesAsync();
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateImagesAsync(new string('x', 1001), 1));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async Task ABadKeyIs401()
    {
        var client = new ImageClient("flowtok-shapes", new ApiKeyCredential("ftk-not-a-key-0123456789abcdefghij"), Options);
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateImageAsync(Prompt));
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task AnUnknownModelIs404()
    {
        var client = new ImageClient("gpt-image-1", new ApiKeyCredential(PlatformFixture.KeyA), Options);
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GenerateImageAsync(Prompt));
        Assert.Equal(404, error.Status);
        Assert.Contains("model_not_found", error.GetRawResponse()!.Content.ToString());
    }
}
