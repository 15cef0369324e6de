using System.Net;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Platform.Tests;

/// <summary>Streamed generations (<c>stream: true</c>, <c>partial_images</c>) and job previews over real HTTP with the bundled model.</summary>
[Collection(PlatformCollection.Name)]
public sealed class StreamingTests(PlatformFixture platform)
{
    private const string Prompt = "a medium blue square at the top right on a yellow background";

    [Fact]
    public async Task AStreamedGenerationSendsPreviewsThenTheImagesAPlainRequestGives()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var response = await client.PostJson("/v1/images/generations", new { prompt = Prompt, n = 2, seed = 4100, steps = 12, stream = true, partial_images = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await ReadEvents(response);

        var partials = events.Where(e => e.Event == "image_generation.partial_image").ToList();
        var completed = events.Where(e => e.Event == "image_generation.completed").ToList();
        Assert.Equal(2, completed.Count);
        Assert.Equal(4, partials.Count);
        Assert.Equal([0, 0, 1, 1], partials.Select(p => p.Data.GetProperty("partial_image_index").GetInt32()).Order());
        // Each image's previews come before it: the first image's completion follows at least its two previews.
        Assert.True(events.FindIndex(e => e.Event == "image_generation.completed") >= 2);
        foreach (var e in events)
        {
            Assert.Equal(e.Event, e.Data.GetProperty("type").GetString());
            Assert.Equal("png", e.Data.GetProperty("output_format").GetString());
            Assert.True(e.Data.GetProperty("created_at").GetInt64() > 0);
        }

        // The same images as two plain requests for those seeds (other requests: no output-cache hit between them).
        var plain = new List<string>();
        foreach (long seed in new long[] { 4100, 4101 })
        {
            var body = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, seed, steps = 12 })).ExpectJson(HttpStatusCode.OK);
            plain.Add(body.GetProperty("data")[0].GetProperty("b64_json").GetString()!);
        }
        // Equal up to the float rounding that companions in a step may change (the bound StepReproducibilityTests states: one
        // 8-bit level); completed events come as images finish, so either order.
        var streamed = completed.Select(c => c.Data.GetProperty("b64_json").GetString()!).ToList();
        bool Close(string x, string y) => PngPixels.MaxDifference(Convert.FromBase64String(x), Convert.FromBase64String(y)) <= 1;
        Assert.True((Close(streamed[0], plain[0]) && Close(streamed[1], plain[1])) || (Close(streamed[0], plain[1]) && Close(streamed[1], plain[0])),
            "the streamed images are not the plain requests' images (within one level)");

        string size = completed[0].Data.GetProperty("size").GetString()!;
        foreach (var partial in partials)
        {
            using var image = Image.Load<Rgb24>(Convert.FromBase64String(partial.Data.GetProperty("b64_json").GetString()!));
            Assert.Equal(size, $"{image.Width}x{image.Height}");
            Assert.DoesNotContain(partial.Data.GetProperty("b64_json").GetString(), streamed);
        }

        // Asked again: served from the output cache, the same images as completed events (nothing is sampled, so no previews).
        var again = await ReadEvents(await client.PostJson("/v1/images/generations", new { prompt = Prompt, n = 2, seed = 4100, steps = 12, stream = true, partial_images = 2 }));
        Assert.Equal(streamed.Order(StringComparer.Ordinal), again.Select(e => e.Data.GetProperty("b64_json").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AStreamedJpegRequestSendsJpegPreviewsAndImages()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var events = await ReadEvents(await client.PostJson("/v1/images/generations",
            new { prompt = Prompt, seed = 4200, steps = 8, stream = true, partial_images = 1, output_format = "jpeg" }));
        Assert.Equal(["image_generation.partial_image", "image_generation.completed"], events.Select(e => e.Event));
        foreach (var e in events)
        {
            Assert.Equal("jpeg", e.Data.GetProperty("output_format").GetString());
            var bytes = Convert.FromBase64String(e.Data.GetProperty("b64_json").GetString()!);
            Assert.Equal([0xFF, 0xD8], bytes[..2]);
        }
        Assert.True(events[1].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task StreamingRequestsOutsideTheLimitsAreRefusedBeforeTheStream()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var tooMany = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, stream = true, partial_images = 4 }))
            .ExpectJson(HttpStatusCode.BadRequest);
        Assert.True(tooMany.GetProperty("errors").TryGetProperty("partial_images", out _));
        var url = await (await client.PostJson("/v1/images/generations", new { prompt = Prompt, stream = true, response_format = "url" }))
            .ExpectJson(HttpStatusCode.BadRequest);
        Assert.True(url.GetProperty("errors").TryGetProperty("response_format", out _));
    }

    [Fact]
    public async Task AJobAskedForPreviewsStreamsThemBeforeItCompletes()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var job = await (await client.PostJson("/v1/jobs", new { type = "generation", prompt = Prompt, seed = 77, steps = 30, partial_images = 3 }))
            .ExpectJson(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        using var response = await client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEvents(response);

        var previews = events.Where(e => e.Event == "preview").ToList();
        Assert.Equal([7, 15, 22], previews.Select(p => p.Data.GetProperty("step").GetInt32()));
        Assert.Equal([0, 1, 2], previews.Select(p => p.Data.GetProperty("partial_image_index").GetInt32()));
        Assert.All(previews, p => Assert.Equal(id, p.Data.GetProperty("job_id").GetString()));
        Assert.Equal("completed", events[^1].Event);
        Assert.True(events.FindLastIndex(e => e.Event == "preview") < events.Count - 1);
    }

    private static async Task<List<(string Event, JsonElement Data)>> ReadEvents(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string Event, JsonElement Data)>();
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event:")) name = line["event:".Length..].Trim();
            else if (line.StartsWith("data:")) events.Add((name ?? "message", JsonDocument.Parse(line["data:".Length..]).RootElement.Clone()));
        }
        return events;
    }
}
