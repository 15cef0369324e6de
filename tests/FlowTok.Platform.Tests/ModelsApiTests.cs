using System.Net;

namespace FlowTok.Platform.Tests;

/// <summary><c>GET /v1/models</c> in OpenAI's shape from what the replicas announce, and the <c>model</c> field routing a request.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ModelsApiTests(PlatformFixture platform)
{
    [Fact]
    public async Task TheServedModelIsListedWithWhatItCanDo()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        var list = await (await client.GetAsync("/v1/models")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal("list", list.GetProperty("object").GetString());
        var model = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("flowtok-shapes", model.GetProperty("id").GetString()); // the bundled model directory's name
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("flowtok", model.GetProperty("owned_by").GetString());
        Assert.True(model.GetProperty("created").GetInt64() > 0);
        var capabilities = model.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["text-to-image", "image-to-text"], capabilities);

        // Its size is the size a generation without one gets.
        var one = await (await client.GetAsync("/v1/models/flowtok-shapes")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(model.GetProperty("size").GetString(), one.GetProperty("size").GetString());
        var generated = await (await client.PostJson("/v1/images/generations", new { prompt = "a red circle", steps = 2, seed = 71, model = "flowtok-shapes" }))
            .ExpectJson(HttpStatusCode.OK);
        Assert.Equal(one.GetProperty("size").GetString(), generated.GetProperty("size").GetString());
    }

    [Fact]
    public async Task AnUnknownModelIsNotFoundInOpenAisShape()
    {
        using var client = platform.Client(PlatformFixture.KeyA);
        foreach (var response in new[]
        {
            await client.GetAsync("/v1/models/gpt-image-1"),
            await client.PostJson("/v1/images/generations", new { prompt = "a red circle", steps = 2, model = "gpt-image-1" }),
            await client.PostJson("/v1/jobs", new { type = "generation", prompt = "a red circle", steps = 2, model = "dall-e-3" }),
        })
        {
            var problem = await response.ExpectJson(HttpStatusCode.NotFound);
            var error = problem.GetProperty("error");
            Assert.Equal("model_not_found", error.GetProperty("code").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Contains("/v1/models", error.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task ModelsNeedAKey()
    {
        using var anonymous = platform.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/models")).StatusCode);
    }
}
