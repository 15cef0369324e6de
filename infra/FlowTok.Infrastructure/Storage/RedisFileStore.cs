using FlowTok.Storage;
using System.Buffers.Text;
using System.Security.Cryptography;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>One Redis hash per file ("file:{id}": tenant, content type, expiry, bytes) that expires with the file.</summary>
public sealed class RedisFileStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null)
    : IFileStore
{
    static readonly RedisValue TenantField = "tenant";
    static readonly RedisValue ContentTypeField = "type";
    static readonly RedisValue ExpiresField = "expires";
    static readonly RedisValue BytesField = "bytes";
    static readonly RedisValue[] Fields = [TenantField, ContentTypeField, ExpiresField, BytesField];

    // Both check the owner in the same step as the change, so another tenant's id changes nothing.
    const string RenewScript = """
        if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'expires', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;
    const string DeleteScript = """
        if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeSpan defaultTimeToLive = options.Value.FileTimeToLive;
    readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task<string> PutAsync(string tenantId, byte[] bytes, string contentType, TimeSpan? timeToLive = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var ttl = timeToLive ?? defaultTimeToLive;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, nameof(timeToLive));

        var fileId = NewFileId();
        var expiresAt = time.GetUtcNow() + ttl;
        var key = keys.File(fileId);
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.HashSetAsync(key,
        [
            new HashEntry(TenantField, tenantId),
            new HashEntry(ContentTypeField, contentType),
            new HashEntry(ExpiresField, expiresAt.ToUnixTimeMilliseconds()),
            new HashEntry(BytesField, bytes),
        ]);
        _ = transaction.KeyExpireAsync(key, ttl);
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new RedisException($"Storing file {fileId} was not committed.");
        }
        return fileId;
    }

    public async Task<StoredFile?> GetAsync(string tenantId, string fileId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var file = await GetAnyTenantAsync(fileId).ConfigureAwait(false);
        // Another tenant's file reads exactly like a missing one: ids must not be probeable across tenants.
        return file is not null && file.TenantId == tenantId ? file : null;
    }

    public async Task<StoredFile?> GetAnyTenantAsync(string fileId)
    {
        if (string.IsNullOrEmpty(fileId))
        {
            return null;
        }
        var values = await redis.GetDatabase().HashGetAsync(keys.File(fileId), Fields).ConfigureAwait(false);
        if (values.Any(v => v.IsNull))
        {
            return null;
        }
        return new StoredFile(
            fileId,
            values[0].ToString(),
            values[1].ToString(),
            (byte[])values[3]!,
            DateTimeOffset.FromUnixTimeMilliseconds((long)values[2]));
    }

    public async Task<bool> RenewAsync(string tenantId, string fileId, TimeSpan? timeToLive = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        var ttl = timeToLive ?? defaultTimeToLive;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, nameof(timeToLive));
        var expiresAt = time.GetUtcNow() + ttl;
        var renewed = await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [keys.File(fileId)],
            [tenantId, expiresAt.ToUnixTimeMilliseconds(), (long)ttl.TotalMilliseconds]).ConfigureAwait(false);
        return (long)renewed == 1;
    }

    public async Task<bool> DeleteAsync(string tenantId, string fileId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        var deleted = await redis.GetDatabase().ScriptEvaluateAsync(DeleteScript, [keys.File(fileId)], [tenantId]).ConfigureAwait(false);
        return (long)deleted == 1;
    }

    /// <summary>"file-" and 24 random bytes (192 bits) in base64url: unguessable and safe in URLs and keys.</summary>
    static string NewFileId() => "file-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
}
