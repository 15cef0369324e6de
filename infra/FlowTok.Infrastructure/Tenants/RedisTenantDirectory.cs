using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tenants;

/// <summary>
/// Tenants as JSON under "tenant:{id}"; each API key as "tenantkey:{SHA-256 hex of the key}" -> tenant id. The raw key is
/// never stored, here or in memory. Successful authentications are remembered (by key hash) for
/// <see cref="AuthenticationCacheTime"/>, so the hot path costs no round-trip; a tenant's changed limits therefore take up
/// to that long to apply.
/// </summary>
public sealed class RedisTenantDirectory(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null)
    : ITenantDirectory
{
    public static readonly TimeSpan AuthenticationCacheTime = TimeSpan.FromSeconds(30);

    /// <summary>Above this many remembered keys, expired entries are dropped (bounded memory under many tenants).</summary>
    const int CacheSweepThreshold = 10_000;

    const string GeneratedKeyPrefix = "ftk-";

    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeProvider time = time ?? TimeProvider.System;
    readonly ConcurrentDictionary<string, (TenantInfo Tenant, DateTimeOffset Until)> recent = new(StringComparer.Ordinal);

    public async Task<TenantInfo?> AuthenticateAsync(string apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return null;
        }
        var keyHash = RedisKeys.Sha256Hex(apiKey);
        var now = time.GetUtcNow();
        if (recent.TryGetValue(keyHash, out var remembered) && remembered.Until > now)
        {
            return remembered.Tenant;
        }

        var tenantId = await redis.GetDatabase().StringGetAsync(keys.TenantApiKey(keyHash)).ConfigureAwait(false);
        var tenant = tenantId.IsNull ? null : await FindAsync(tenantId.ToString()).ConfigureAwait(false);
        if (tenant is null)
        {
            recent.TryRemove(keyHash, out _);
            return null;
        }
        if (recent.Count >= CacheSweepThreshold)
        {
            foreach (var (hash, entry) in recent)
            {
                if (entry.Until <= now)
                {
                    recent.TryRemove(hash, out _);
                }
            }
        }
        recent[keyHash] = (tenant, now + AuthenticationCacheTime);
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
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.StringSetAsync(keys.Tenant(tenant.Id), JsonSerializer.Serialize(tenant));
        _ = transaction.StringSetAsync(keys.TenantApiKey(RedisKeys.Sha256Hex(apiKey)), tenant.Id);
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new RedisException($"Registering a key for tenant {tenant.Id} was not committed.");
        }
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

    /// <summary>
    /// Tenant ids become parts of keys ("out:{tenant}:{hash}"): a ':' would let one tenant's keys spell another's, so only
    /// letters, digits, '-', '_' and '.' are accepted.
    /// </summary>
    static void ValidateTenant(TenantInfo tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentException.ThrowIfNullOrEmpty(tenant.Id, nameof(tenant));
        if (!tenant.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"Tenant id '{tenant.Id}' may contain only ASCII letters, digits, '-', '_' and '.'.", nameof(tenant));
        }
    }
}
