using System.Net;
using System.Text;
using FlowTok.Contracts;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>Every kind of bad input gets its 4xx as problem+json and never reaches a model.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BadInputTests(PlatformFixture platform)
{
    public static TheoryData<string, string, string, HttpStatusCode> BadGenerations => new()
    {
        { "empty prompt", "application/json", """{"prompt": "   "}""", HttpStatusCode.BadRequest },
        { "oversized prompt", "application/json", $$"""{"prompt": "{{new string('a', Limits.MaxPromptCharacters + 1)}}"}""", HttpStatusCode.BadRequest },
        { "n too large", "application/json", $$"""{"prompt": "a red circle", "n": {{Limits.MaxImages + 1}}}""", HttpStatusCode.BadRequest },
        { "n zero", "application/json", """{"prompt": "a red circle", "n": 0}""", HttpStatusCode.BadRequest },
        { "unsupported size", "application/json", """{"prompt": "a red circle", "size": "1024x1024"}""", HttpStatusCode.BadRequest },
        { "malformed size", "application/json", """{"prompt": "a red circle", "size": "big"}""", HttpStatusCode.BadRequest },
        { "steps out of range", "application/json", $$"""{"prompt": "a red circle", "steps": {{Limits.MaxSteps + 1}}}""", HttpStatusCode.BadRequest },
        { "guidance out of range", "application/json", """{"prompt": "a red circle", "guidance_scale": -1}""", HttpStatusCode.BadRequest },
        { "text noise out of range", "application/json", $$"""{"prompt": "a red circle", "text_noise": {{Limits.MaxTextNoise + 1}}}""", HttpStatusCode.BadRequest },
        { "wrong type", "application/json", """{"prompt": "a red circle", "n": "two"}""", HttpStatusCode.BadRequest },
        { "unknown field", "application/json", """{"prompt": "a red circle", "colour": "red"}""", HttpStatusCode.BadRequest },
        { "bad response format", "application/json", """{"prompt": "a red circle", "response_format": "jpeg"}""", HttpStatusCode.BadRequest },
        { "not json", "application/json", """{"prompt": """, HttpStatusCode.BadRequest },
        { "wrong content type", "text/plain", "a red circle", HttpStatusCode.UnsupportedMediaType },
    };

    [Theory]
    [MemberData(nameof(BadGenerations))]
    public async Task BadGenerationRequestsGetTheirError(string why, string contentType, string body, HttpStatusCode expected)
    {
        using var client = platform.Client(PlatformFixture.KeyB);
        var before = await ModelItems();
        var response = await client.PostRaw("/v1/images/generations", body, contentType);
        Assert.True(expected == response.StatusCode, $"{why}: expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await ModelItems());
    }

    public static TheoryData<string, string, HttpStatusCode> BadCaptions => new()
    {
        { "invalid base64", """{"image": "this is not base64!!"}""", HttpStatusCode.BadRequest },
        { "not an image", $$"""{"image": "{{Convert.ToBase64String(Encoding.UTF8.GetBytes("just some text, not a picture"))}}"}""", HttpStatusCode.BadRequest },
        { "empty image", """{"image": ""}""", HttpStatusCode.BadRequest },
        { "decompression bomb", $$"""{"image": "{{Convert.ToBase64String(PngHeaderClaiming(100_000, 100_000))}}"}""", HttpStatusCode.RequestEntityTooLarge },
        { "too many bytes", $$"""{"image": "{{Convert.ToBase64String(new byte[Limits.MaxUploadBytes + 1])}}"}""", HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadCaptions))]
    public async Task BadUploadsGetTheirError(string why, string body, HttpStatusCode expected)
    {
        using var client = platform.Client(PlatformFixture.KeyB);
        var before = await ModelItems();
        var response = await client.PostRaw("/v1/images/captions", body, "application/json");
        Assert.True(expected == response.StatusCode, $"{why}: expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(before, await ModelItems());
    }

    [Fact]
    public async Task RequestsWithoutAValidKeyAreUnauthorized()
    {
        using var anonymous = platform.Client(null);
        var response = await anonymous.PostJson("/v1/images/generations", new { prompt = "a red circle" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());

        using var wrong = platform.Client("ftk-not-a-real-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/v1/jobs/job-x")).StatusCode);
    }

    [Fact]
    public async Task ATenantOverItsRateLimitGets429WithRetryAfter()
    {
        using var client = platform.Client(PlatformFixture.KeySlow);
        HttpResponseMessage? limited = null;
        for (int i = 0; i < PlatformFixture.SlowRequestsPerMinute + 2 && limited is null; i++)
        {
            var response = await client.GetAsync("/v1/jobs/job-none");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 must say when to retry");
    }

    /// <summary>Items the model replicas have run so far.</summary>
    private async Task<long> ModelItems()
    {
        var grains = platform.Services.GetRequiredService<IGrainFactory>();
        long total = 0;
        foreach (var key in platform.Services.GetRequiredService<LocalModels>().Keys)
            total += (await grains.GetGrain<IModelGrain>(key).GetStatsAsync()).Items;
        return total;
    }

    /// <summary>A PNG signature and IHDR chunk claiming huge dimensions (no pixel data follows).</summary>
    internal static byte[] PngHeaderClaiming(int width, int height)
    {
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        var chunk = new List<byte>();
        chunk.AddRange([0, 0, 0, 13]);
        var typeAndData = Encoding.ASCII.GetBytes("IHDR").Concat(ihdr).ToArray();
        chunk.AddRange(typeAndData);
        var crc = Crc32(typeAndData);
        chunk.AddRange([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. chunk];
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320) so the header passes the decoder's checksum check.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
