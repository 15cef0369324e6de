using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using FlowTok.Gateway.Tests;
using FlowTok.Model.Training.Shapes;
using OpenAI;
using OpenAI.Chat;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Captions through <c>POST /v1/chat/completions</c> with the official OpenAI .NET client (only the endpoint and key
/// changed) over real HTTP against the one-machine platform: the answer is the caption route's caption, streamed or not,
/// and bad input is refused like on the caption route.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ChatCompletionsTests(PlatformFixture platform)
{
    private static readonly ShapeScene Scene = new(Shape.Square, PaletteColor.Yellow, ShapeSize.Large, ShapePosition.Center, PaletteColor.Blue);

    private async Task<ChatClient> ChatAsync(string key) => new(await CaptionModelAsync(), new ApiKeyCredential(key),
        new OpenAIClientOptions { Endpoint = new Uri(platform.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromMinutes(3) });

    /// <summary>The id <c>GET /v1/models</c> gives the model that captions.</summary>
    private async Task<string> CaptionModelAsync()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var models = await (await client.GetAsync("/v1/models")).ExpectJson(HttpStatusCode.OK);
        return Assert.Single(models.GetProperty("data").EnumerateArray(),
            m => m.GetProperty("capabilities").EnumerateArray().Any(c => c.GetString() == "image-to-text")).GetProperty("id").GetString()!;
    }

    private static UserChatMessage ImageMessage(byte[] image, string mediaType = "image/png") => new(
        ChatMessageContentPart.CreateTextPart("What is in this image?"),
        ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image), mediaType));

    private async Task<string> CaptionRoute(byte[] png, object? settings = null)
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var body = new Dictionary<string, object?> { ["image"] = Convert.ToBase64String(png) };
        foreach (var p in settings?.GetType().GetProperties() ?? []) body[p.Name] = p.GetValue(settings);
        var answer = await (await client.PostJson("/v1/images/captions", body)).ExpectJson(HttpStatusCode.OK);
        return answer.GetProperty("caption").GetString()!;
    }

    [Fact]
    public async Task AnImageInAChatIsAnsweredWithItsCaption()
    {
        byte[] png = ImageGenerationTests.ShapePng(Scene);
        ChatCompletion completion = await (await ChatAsync(PlatformFixture.KeyA)).CompleteChatAsync([ImageMessage(png)]);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.StartsWith("chatcmpl-", completion.Id);
        string caption = Assert.Single(completion.Content).Text;
        Assert.Equal(PaletteColor.Blue, ShapeCaptions.Parse(caption).Background);
        Assert.Equal(await CaptionRoute(png), caption);
    }

    [Fact]
    public async Task AStreamedChatEndsWithTheSameCaption()
    {
        byte[] png = ImageGenerationTests.ShapePng(Scene);
        var text = new StringBuilder();
        var finishes = new List<ChatFinishReason>();
        var roles = new List<ChatMessageRole>();
        ChatTokenUsage? usage = null;
        await foreach (var update in (await ChatAsync(PlatformFixture.KeyA)).CompleteChatStreamingAsync([ImageMessage(png)]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            if (update.FinishReason is { } finish) finishes.Add(finish);
            if (update.Role is { } role) roles.Add(role);
            usage ??= update.Usage;
        }

        Assert.Equal([ChatMessageRole.Assistant], roles);
        Assert.Equal([ChatFinishReason.Stop], finishes);
        // The .NET client asks for the usage chunk (stream_options.include_usage).
        Assert.NotNull(usage);
        Assert.Equal(await CaptionRoute(png), text.ToString());
    }

    [Fact]
    public async Task TheChatCaptionIsTheCaptionRoutesForTheSameSettings()
    {
        byte[] png = ImageGenerationTests.ShapePng(Scene with { Shape = Shape.Circle, Color = PaletteColor.Red, Background = PaletteColor.White });
        using var client = platform.Client(PlatformFixture.KeyA);
        var chat = await (await client.PostJson("/v1/chat/completions", new
        {
            model = await CaptionModelAsync(),
            messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = DataUrl(png) } } } } },
            steps = 6, guidance_scale = 1.5, priority = "batch", timeout = 60,
            max_tokens = 50, temperature = 0.2, n = 1, user = "someone",
        })).ExpectJson(HttpStatusCode.OK);

        Assert.Equal("chat.completion", chat.GetProperty("object").GetString());
        var choice = Assert.Single(chat.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.True(chat.GetProperty("created").GetInt64() > 0);
        Assert.Equal(await CaptionModelAsync(), chat.GetProperty("model").GetString());
        // Counted like an image's usage: the image read as 77 1D image tokens, the caption decoded from CLIP's 77.
        var usage = chat.GetProperty("usage");
        Assert.Equal([77, 77, 154], new[] { "prompt_tokens", "completion_tokens", "total_tokens" }.Select(c => usage.GetProperty(c).GetInt32()));
        Assert.Equal(await CaptionRoute(png, new { steps = 6, guidance_scale = 1.5 }), choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task AStreamIsChunksEndingWithDone()
    {
        byte[] png = ImageGenerationTests.ShapePng(Scene);
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.PostJson("/v1/chat/completions", new
        {
            messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = DataUrl(png) } } } } },
            stream = true,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] data = [.. (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)];

        Assert.All(data, d => Assert.StartsWith("data: ", d));
        Assert.Equal("data: [DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonDocument.Parse(d["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        var choices = chunks.Select(c => Assert.Single(c.GetProperty("choices").EnumerateArray())).ToList();
        Assert.Equal("assistant", choices[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("stop", choices[^1].GetProperty("finish_reason").GetString());
        string text = string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Equal(await CaptionRoute(png), text);
    }

    public static TheoryData<string, object, string> BadBodies => new()
    {
        { "a link", Body(new { type = "image_url", image_url = new { url = "https://example.com/cat.png" } }), "fetches nothing" },
        { "no image", Body(new { type = "text", text = "what is this?" }), "no image to caption" },
        { "plain text", new { messages = new object[] { new { role = "user", content = "hello" } } }, "no image to caption" },
        { "not base64 data", Body(new { type = "image_url", image_url = new { url = "data:image/png,notbase64" } }), "base64 data: URL" },
        { "two images", Body(ImagePart(), ImagePart()), "one image per request" },
        { "an audio part", Body(new { type = "input_audio", input_audio = new { data = "AAAA", format = "wav" } }), "messages[0].content[0]" },
        { "an unknown part field", Body(new { type = "image_url", image_url = new { url = "data:image/png;base64,AAAA", shape = "round" } }), "unknown field 'messages[0].content[0].image_url.shape'" },
        { "an unknown field", new { messages = Messages(ImagePart()), tools = Array.Empty<object>() }, "unknown field 'tools'" },
        { "n = 2", new { messages = Messages(ImagePart()), n = 2 }, "n must be 1" },
        { "bad steps", new { messages = Messages(ImagePart()), steps = 0 }, "steps" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadRequestsAreRefusedInOpenAisErrorShape(string what, object body, string said)
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        long before = await platform.ModelItemsAsync();
        var response = await client.PostJson("/v1/chat/completions", body);
        var problem = await response.ExpectJson(HttpStatusCode.BadRequest);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var error = problem.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.True(error.GetProperty("message").GetString()!.Contains(said, StringComparison.Ordinal) || problem.ToString().Contains(said, StringComparison.Ordinal),
            $"{what}: {problem}");
        Assert.Equal(before, await platform.ModelItemsAsync());
    }

    [Fact]
    public async Task AnUnknownModelIs404ModelNotFound()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.PostJson("/v1/chat/completions", new { model = "gpt-4o", messages = Messages(ImagePart()) });
        var problem = await response.ExpectJson(HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", problem.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("model", problem.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task TheClientSeesALinkRefusedAs400()
    {
        var link = new UserChatMessage(ChatMessageContentPart.CreateImagePart(new Uri("https://example.com/cat.png")));
        var e = await Assert.ThrowsAsync<ClientResultException>(async () => await (await ChatAsync(PlatformFixture.KeyA)).CompleteChatAsync([link]));
        Assert.Equal(400, e.Status);
        Assert.Contains("fetches nothing", e.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task NoImageIsA400ForTheClient()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(async () => await (await ChatAsync(PlatformFixture.KeyA)).CompleteChatAsync([new UserChatMessage("describe a cat")]));
        Assert.Equal(400, e.Status);
    }

    [Theory]
    [InlineData("zTXt bomb", 400)]
    [InlineData("pixel bomb", 413)]
    [InlineData("too large", 413)]
    [InlineData("not an image", 400)]
    public async Task HostileOrOversizedImagesAreRefusedAsOnTheCaptionRoute(string attack, int status)
    {
        byte[] image = attack switch
        {
            "zTXt bomb" => HostileImages.ZtxtBomb(HostileImages.Gigabyte),
            "pixel bomb" => HostileImages.PixelBomb(20_000),
            "too large" => new byte[FlowTok.Contracts.Limits.MaxUploadBytes + 1],
            _ => Encoding.UTF8.GetBytes("<html>not an image</html>"),
        };
        long before = await platform.ModelItemsAsync();
        var e = await Assert.ThrowsAsync<ClientResultException>(async () => await (await ChatAsync(PlatformFixture.KeyB)).CompleteChatAsync([ImageMessage(image)]));
        Assert.Equal(status, e.Status);
        Assert.Equal(before, await platform.ModelItemsAsync());

        using var client = platform.Client(PlatformFixture.KeyB);
        var captionRoute = await client.PostJson("/v1/images/captions", new { image = Convert.ToBase64String(image) });
        Assert.Equal(status, (int)captionRoute.StatusCode);
    }

    [Fact]
    public async Task ABadKeyIs401()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(async () =>
            await (await ChatAsync("ftk-not-a-key-0123456789abcdef0123")).CompleteChatAsync([ImageMessage(ImageGenerationTests.ShapePng(Scene))]));
        Assert.Equal(401, e.Status);
    }

    private static string DataUrl(byte[] png) => $"data:image/png;base64,{Convert.ToBase64String(png)}";

    private static object ImagePart() => new { type = "image_url", image_url = new { url = DataUrl(HostileImages.Gradient(16, 16)) } };

    private static object[] Messages(params object[] parts) => [new { role = "user", content = parts }];

    private static object Body(params object[] parts) => new { messages = Messages(parts) };
}
