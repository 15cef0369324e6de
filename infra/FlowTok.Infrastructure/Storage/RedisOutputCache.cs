using FlowTok.Storage;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// A Redis list of PNG byte arrays per tenant and canonical request hash ("out:{tenant}:{hash}"), replaced as a whole
/// and expiring after <see cref="RedisOptions.OutputCacheTimeToLive"/>; the ids of the files holding them in a list beside
/// it ("outfiles:{tenant}:{hash}") that expires with it.
/// </summary>
public sealed class RedisOutputCache(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
    : IOutputCache
{
    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeSpan timeToLive = options.Value.OutputCacheTimeToLive;

    public async Task<IReadOnlyList<byte[]>?> GetAsync(string tenantId, string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var values = await redis.GetDatabase().ListRangeAsync(keys.Output(tenantId, requestHash)).ConfigureAwait(false);
        return values.Length > 0 ? values.Select(v => (byte[])v!).ToArray() : null;
    }

    public async Task SetAsync(string tenantId, string requestHash, IReadOnlyList<byte[]> images, IReadOnlyList<string>? fileIds = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            // An empty list is not an answer to serve; Redis cannot hold an empty list anyway.
            return;
        }
        var key = keys.Output(tenantId, requestHash);
        var files = keys.OutputFiles(tenantId, requestHash);
        // One transaction, so a reader sees the old list or the whole new one, never a mix.
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.KeyDeleteAsync([key, files]);
        _ = transaction.ListRightPushAsync(key, images.Select(image => (RedisValue)image).ToArray());
        _ = transaction.KeyExpireAsync(key, timeToLive);
        if (fileIds is { Count: > 0 })
        {
            _ = transaction.ListRightPushAsync(files, fileIds.Select(id => (RedisValue)id).ToArray());
            _ = transaction.KeyExpireAsync(files, timeToLive);
        }
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>?> GetFileIdsAsync(string tenantId, string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var values = await redis.GetDatabase().ListRangeAsync(keys.OutputFiles(tenantId, requestHash)).ConfigureAwait(false);
        return values.Length > 0 ? values.Select(v => v.ToString()).ToArray() : null;
    }

    public async Task SetFileIdsAsync(string tenantId, string requestHash, IReadOnlyList<string> fileIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(fileIds);
        var db = redis.GetDatabase();
        var key = keys.Output(tenantId, requestHash);
        // The ids live no longer than the output they belong to.
        if (await db.KeyTimeToLiveAsync(key).ConfigureAwait(false) is not { } left || fileIds.Count == 0)
        {
            return;
        }
        var files = keys.OutputFiles(tenantId, requestHash);
        var transaction = db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(files);
        _ = transaction.ListRightPushAsync(files, fileIds.Select(id => (RedisValue)id).ToArray());
        _ = transaction.KeyExpireAsync(files, left);
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }
}
