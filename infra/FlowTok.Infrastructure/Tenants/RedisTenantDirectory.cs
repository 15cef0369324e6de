using FlowTok.Storage.Tenants;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tenants;

/// <summary>
/// Tenants as JSON under "tenant:{id}"; each API key as "tenantkey:{SHA-256 hex of the key}" -> tenant id, and listed in
/// the tenant's "tenantkeys:{id}" hash. The raw key is never stored, here or in memory. Lookups are remembered by key hash
/// (<see cref="KeyLookupCache"/>); every key added or revoked is announced on the "tenantkeys" channel, and every instance
/// (one per gateway) forgets what it remembered of that key as soon as the announcement arrives. A revoked key is
/// therefore refused cluster-wide within the channel's delivery time, and at the latest after
/// <see cref="KeyLookupCache.AcceptedFor"/> by a process that missed the announcement.
/// </summary>
public sealed class RedisTenantDirectory : ITenantDirectory, IDisposable
{
    const string GeneratedKeyPrefix = "ftk-";

    readonly IConnectionMultiplexer redis;
    readonly RedisKeys keys;
    readonly TimeProvider time;
    readonly KeyLookupCache cache;
    readonly ChannelMessageQueue announcements;

    /// <summary>Tags this instance's announcements, so that their echo does not drop what it learned after announcing.</summary>
    readonly string instance = Guid.NewGuid().ToString("N");

    public RedisTenantDirectory(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null)
    {
        this.redis = redis;
        keys = new RedisKeys(options.Value.KeyPrefix);
        this.time = time ?? TimeProvider.System;
        cache = new KeyLookupCache(this.time);
        announcements = redis.GetSubscriber().Subscribe(keys.TenantApiKeyChannel);
        announcements.OnMessage(message => OnAnnouncement(message.Message.ToString()));
    }

    public bool TryAuthenticateLocally(string apiKey, out TenantInfo? tenant)
    {
        tenant = null;
        return string.IsNullOrEmpty(apiKey) || cache.TryGet(RedisKeys.Sha256Hex(apiKey), out tenant);
    }

    public async Task<TenantInfo?> AuthenticateAsync(string apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return null;
        }
        var keyHash = RedisKeys.Sha256Hex(apiKey);
        if (cache.TryGet(keyHash, out var remembered))
        {
            return remembered;
        }
        var stamp = cache.Stamp;
        var tenantId = await redis.GetDatabase().StringGetAsync(keys.TenantApiKey(keyHash)).ConfigureAwait(false);
        var tenant = tenantId.IsNull ? null : await FindAsync(tenantId.ToString()).ConfigureAwait(false);
        cache.Remember(keyHash, tenant, stamp);
        return tenant;
    }

    public async Task<string> CreateKeyAsync(TenantInfo tenant)
    {
        // 24 random bytes = 32 base64url characters (192 bits).
        var apiKey = GeneratedKeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        await AddKeyAsync(tenant, apiKey).ConfigureAwait(false);
        return apiKey;
    }

    public async Task AddKeyAsync(TenantInfo tenant, string apiKey)
    {
        ValidateTenant(tenant);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var keyHash = RedisKeys.Sha256Hex(apiKey);
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.StringSetAsync(keys.Tenant(tenant.Id), JsonSerializer.Serialize(tenant));
        _ = transaction.StringSetAsync(keys.TenantApiKey(keyHash), tenant.Id);
        // A key configured again at every start keeps its first date.
        _ = transaction.HashSetAsync(keys.TenantApiKeys(tenant.Id), keyHash, time.GetUtcNow().ToUnixTimeSeconds(), When.NotExists);
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new RedisException($"Registering a key for tenant {tenant.Id} was not committed.");
        }
        await AnnounceAsync(keyHash).ConfigureAwait(false);
    }

    public async Task<TenantInfo?> FindAsync(string tenantId)
    {
        if (string.IsNullOrEmpty(tenantId))
        {
            return null;
        }
        var json = await redis.GetDatabase().StringGetAsync(keys.Tenant(tenantId)).ConfigureAwait(false);
        return json.IsNull ? null : JsonSerializer.Deserialize<TenantInfo>(json.ToString());
    }

    public async Task<IReadOnlyList<ApiKeyEntry>> ListKeysAsync(string tenantId)
    {
        if (string.IsNullOrEmpty(tenantId))
        {
            return [];
        }
        var entries = await redis.GetDatabase().HashGetAllAsync(keys.TenantApiKeys(tenantId)).ConfigureAwait(false);
        return entries
            .Select(e => new ApiKeyEntry(ApiKeyId.FromHash(e.Name.ToString()), DateTimeOffset.FromUnixTimeSeconds((long)e.Value)))
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<bool> RevokeKeyAsync(string tenantId, string keyId)
    {
        if (string.IsNullOrEmpty(tenantId) || !ApiKeyId.IsWellFormed(keyId))
        {
            return false;
        }
        var hashes = await redis.GetDatabase().HashKeysAsync(keys.TenantApiKeys(tenantId)).ConfigureAwait(false);
        var revoked = hashes.Select(h => h.ToString()).Where(h => h.StartsWith(keyId, StringComparison.Ordinal)).ToList();
        await RevokeHashesAsync(tenantId, revoked).ConfigureAwait(false);
        return revoked.Count > 0;
    }

    public async Task<bool> RemoveAsync(string tenantId)
    {
        if (string.IsNullOrEmpty(tenantId))
        {
            return false;
        }
        var db = redis.GetDatabase();
        var hashes = await db.HashKeysAsync(keys.TenantApiKeys(tenantId)).ConfigureAwait(false);
        // Keys of the tenant added before keys were listed per tenant fail too: their entry names a tenant that is gone.
        var removed = await db.KeyDeleteAsync(keys.Tenant(tenantId)).ConfigureAwait(false);
        await RevokeHashesAsync(tenantId, hashes.Select(h => h.ToString()).ToList()).ConfigureAwait(false);
        return removed;
    }

    public void Dispose()
    {
        announcements.Unsubscribe();
        cache.Dispose();
    }

    async Task RevokeHashesAsync(string tenantId, IReadOnlyList<string> keyHashes)
    {
        if (keyHashes.Count == 0)
        {
            return;
        }
        var transaction = redis.GetDatabase().CreateTransaction();
        foreach (var keyHash in keyHashes)
        {
            _ = transaction.KeyDeleteAsync(keys.TenantApiKey(keyHash));
            _ = transaction.HashDeleteAsync(keys.TenantApiKeys(tenantId), keyHash);
        }
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new RedisException($"Revoking keys of tenant {tenantId} was not committed.");
        }
        foreach (var keyHash in keyHashes)
        {
            await AnnounceAsync(keyHash).ConfigureAwait(false);
        }
    }

    /// <summary>Every process (this one at once, not on the echo) forgets what it remembered of the key.</summary>
    async Task AnnounceAsync(string keyHash)
    {
        cache.Forget(keyHash);
        await redis.GetSubscriber().PublishAsync(keys.TenantApiKeyChannel, instance + ":" + keyHash).ConfigureAwait(false);
    }

    /// <summary>"{instance}:{key hash}"; this instance's own echo is skipped, since it forgot the key when announcing and
    /// may have looked it up again since (a late echo would drop that fresh entry).</summary>
    void OnAnnouncement(string message)
    {
        var separator = message.IndexOf(':');
        if (separator < 0)
        {
            cache.Forget(message);
            return;
        }
        if (!message.AsSpan(0, separator).SequenceEqual(instance))
        {
            cache.Forget(message[(separator + 1)..]);
        }
    }

    /// <summary>
    /// Tenant ids become parts of keys ("out:{tenant}:{hash}"): a ':' would let one tenant's keys spell another's, so only
    /// letters, digits, '-', '_' and '.' are accepted.
    /// </summary>
    static void ValidateTenant(TenantInfo tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentException.ThrowIfNullOrEmpty(tenant.Id, nameof(tenant));
        if (!IsValidTenantId(tenant.Id))
        {
            throw new ArgumentException(
                $"Tenant id '{tenant.Id}' may contain only ASCII letters, digits, '-', '_' and '.'.", nameof(tenant));
        }
    }

    public static bool IsValidTenantId(string? id) =>
        !string.IsNullOrEmpty(id) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
