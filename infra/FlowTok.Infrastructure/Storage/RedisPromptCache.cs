using FlowTok.Storage;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// Prompt encodings in <see cref="PromptEncodingFormat"/> under "prompt:{tenant}:{model version}:{SHA-256 of the prompt}", expiring
/// after <see cref="RedisOptions.PromptCacheTimeToLive"/>.
/// </summary>
public sealed class RedisPromptCache(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
    : IPromptCache
{
    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeSpan timeToLive = options.Value.PromptCacheTimeToLive;

    public async Task<PromptEncodingRecord?> GetAsync(string tenantId, string modelVersion, string prompt)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(modelVersion);
        ArgumentNullException.ThrowIfNull(prompt);
        var value = await redis.GetDatabase().StringGetAsync(keys.Prompt(tenantId, modelVersion, prompt)).ConfigureAwait(false);
        // A value this version cannot read (written by another format) is a miss: the caller re-encodes and overwrites it.
        return value.IsNull ? null : PromptEncodingFormat.TryDeserialize((byte[])value!);
    }

    public Task SetAsync(string tenantId, string modelVersion, string prompt, PromptEncodingRecord encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(modelVersion);
        ArgumentNullException.ThrowIfNull(prompt);
        var bytes = PromptEncodingFormat.Serialize(encoding);
        return redis.GetDatabase().StringSetAsync(keys.Prompt(tenantId, modelVersion, prompt), bytes, timeToLive);
    }
}
