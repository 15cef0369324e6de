using FlowTok.Infrastructure.Redis;
using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class PromptCacheTests(RedisBackend backend)
{
    [Fact]
    public async Task PromptEncodingRoundTripsExactly()
    {
        var cache = new RedisPromptCache(backend.Redis, backend.NewOptions());
        var encoding = SampleEncoding();

        await cache.SetAsync("acme", "flowtok-xl-1", "a red fox in the snow", encoding);
        var cached = await cache.GetAsync("acme", "flowtok-xl-1", "a red fox in the snow");

        Assert.NotNull(cached);
        Assert.Equal(encoding.Ids, cached.Ids);
        Assert.Equal(encoding.ClipStatesShape, cached.ClipStatesShape);
        Assert.Equal(encoding.LatentShape, cached.LatentShape);
        Assert.Equal(Bits(encoding.ClipStates), Bits(cached.ClipStates));
        Assert.Equal(Bits(encoding.Mu), Bits(cached.Mu));
        Assert.Equal(Bits(encoding.LogVar), Bits(cached.LogVar));
    }

    [Fact]
    public async Task PromptEncodingIsStoredCompactly()
    {
        var options = backend.NewOptions();
        var cache = new RedisPromptCache(backend.Redis, options);
        var encoding = SampleEncoding();

        await cache.SetAsync("acme", "v1", "prompt", encoding);

        var stored = (byte[])(await backend.Redis.GetDatabase().StringGetAsync(new RedisKeys(options.Value.KeyPrefix).Prompt("acme", "v1", "prompt")))!;
        var payload = encoding.Ids.Length * 8 + (encoding.ClipStates.Length + encoding.Mu.Length + encoding.LogVar.Length) * 4
            + (encoding.ClipStatesShape.Length + encoding.LatentShape.Length) * 4;
        Assert.InRange(stored.Length, payload, payload + 64);
    }

    [Fact]
    public async Task PromptCacheIsKeyedByModelVersionAndPrompt()
    {
        var cache = new RedisPromptCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "v1", "a red fox", SampleEncoding());

        Assert.Null(await cache.GetAsync("acme", "v2", "a red fox"));
        Assert.Null(await cache.GetAsync("acme", "v1", "a red fox "));
        Assert.NotNull(await cache.GetAsync("acme", "v1", "a red fox"));
    }

    [Fact]
    public async Task PromptCacheIsPerTenant()
    {
        var cache = new RedisPromptCache(backend.Redis, backend.NewOptions());

        await cache.SetAsync("acme", "v1", "a red fox", SampleEncoding());

        Assert.Null(await cache.GetAsync("globex", "v1", "a red fox"));
        Assert.NotNull(await cache.GetAsync("acme", "v1", "a red fox"));
    }

    [Fact]
    public async Task UnreadablePromptEncodingIsAMiss()
    {
        var options = backend.NewOptions();
        var cache = new RedisPromptCache(backend.Redis, options);
        var key = new RedisKeys(options.Value.KeyPrefix).Prompt("acme", "v1", "prompt");
        var valid = PromptEncodingFormat.Serialize(SampleEncoding());

        await backend.Redis.GetDatabase().StringSetAsync(key, new byte[] { 9, 1, 2, 3 });
        Assert.Null(await cache.GetAsync("acme", "v1", "prompt"));

        await backend.Redis.GetDatabase().StringSetAsync(key, valid[..^4]);
        Assert.Null(await cache.GetAsync("acme", "v1", "prompt"));
    }

    [Fact]
    public async Task EncodingThatDoesNotMatchItsShapeIsRejected()
    {
        var cache = new RedisPromptCache(backend.Redis, backend.NewOptions());
        var encoding = SampleEncoding() with { LatentShape = [77, 15] };

        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("acme", "v1", "prompt", encoding));
    }

    /// <summary>CLIP-like shapes with floats that only a bit-exact format keeps: NaN payloads, -0, subnormals, infinities.</summary>
    static PromptEncodingRecord SampleEncoding()
    {
        var random = new Random(7);
        var ids = Enumerable.Range(0, 77).Select(i => i == 0 ? 49406L : i == 9 ? 49407L : i > 9 ? 0L : random.NextInt64(49406)).ToArray();
        var clip = Enumerable.Range(0, 77 * 768).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        clip[0] = BitConverter.Int32BitsToSingle(0x7FC00123);
        clip[1] = -0f;
        clip[2] = float.Epsilon;
        clip[3] = float.NegativeInfinity;
        var mu = Enumerable.Range(0, 77 * 16).Select(_ => (float)random.NextDouble()).ToArray();
        var logVar = Enumerable.Range(0, 77 * 16).Select(_ => (float)-random.NextDouble()).ToArray();
        return new PromptEncodingRecord(ids, clip, [77, 768], mu, logVar, [77, 16]);
    }

    static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}

[Collection(GarnetBackend.Collection)]
public sealed class PromptCacheOnGarnet(GarnetBackend backend) : PromptCacheTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class PromptCacheOnRedisServer(RedisServerBackend backend) : PromptCacheTests(backend);
