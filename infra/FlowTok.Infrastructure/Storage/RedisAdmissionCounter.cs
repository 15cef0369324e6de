using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// The platform-wide count of admitted items in one key ("admission"). Check-and-add and release are Lua scripts, so each
/// is one atomic step on the server however many gateways admit at once.
/// </summary>
public sealed class RedisAdmissionCounter(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IAdmissionCounter
{
    // KEYS[1] counter; ARGV[1] items; ARGV[2] limit. Returns the new count, or -1 when the items do not fit.
    const string TryAddScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local items = tonumber(ARGV[1])
        if current + items > tonumber(ARGV[2]) then
          return -1
        end
        return redis.call('INCRBY', KEYS[1], items)
        """;

    // KEYS[1] counter; ARGV[1] items. Never goes below zero (a release without its admission, or after a reset).
    const string ReleaseScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local items = math.min(current, tonumber(ARGV[1]))
        if items <= 0 then
          return current
        end
        return redis.call('DECRBY', KEYS[1], items)
        """;

    // KEYS[1] counter, KEYS[2] tenant counts, KEYS[3] tenant weights; ARGV[1] tenant, ARGV[2] items, ARGV[3] tenant limit,
    // ARGV[4] platform limit, ARGV[5] weight. Returns the tenant's new count, -1 (tenant share full) or -2 (platform full).
    const string TryAddForTenantScript = """
        local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
        local items = tonumber(ARGV[2])
        if held > 0 and held + items > tonumber(ARGV[3]) then
          return -1
        end
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current + items > tonumber(ARGV[4]) then
          return -2
        end
        redis.call('INCRBY', KEYS[1], items)
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
        return redis.call('HINCRBY', KEYS[2], ARGV[1], items)
        """;

    // KEYS as above; ARGV[1] tenant, ARGV[2] items. Neither count goes below zero; a tenant at zero leaves the hash.
    const string ReleaseForTenantScript = """
        local items = tonumber(ARGV[2])
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local global = math.min(current, items)
        if global > 0 then
          redis.call('DECRBY', KEYS[1], global)
        end
        local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
        if held - items <= 0 then
          redis.call('HDEL', KEYS[2], ARGV[1])
          return 0
        end
        return redis.call('HINCRBY', KEYS[2], ARGV[1], -items)
        """;

    readonly RedisKey counter = new RedisKeys(options.Value.KeyPrefix).Admission;
    readonly RedisKey byTenant = new RedisKeys(options.Value.KeyPrefix).AdmissionByTenant;
    readonly RedisKey weights = new RedisKeys(options.Value.KeyPrefix).AdmissionWeights;

    public async Task<IReadOnlyDictionary<string, TenantAdmission>> TenantsAsync()
    {
        var db = redis.GetDatabase();
        var held = await db.HashGetAllAsync(byTenant).ConfigureAwait(false);
        var weighed = (await db.HashGetAllAsync(weights).ConfigureAwait(false))
            .ToDictionary(e => e.Name.ToString(), e => double.TryParse(e.Value.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var w) && w > 0 ? w : 1.0);
        return held.Where(e => (long)e.Value > 0)
            .ToDictionary(e => e.Name.ToString(), e => new TenantAdmission((long)e.Value, weighed.GetValueOrDefault(e.Name.ToString(), 1.0)));
    }

    public async Task<AdmissionVerdict> TryAddForTenantAsync(string tenant, double weight, int items, int tenantLimit, int platformLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        var result = (long)await redis.GetDatabase().ScriptEvaluateAsync(TryAddForTenantScript, [counter, byTenant, weights],
            [tenant, items, tenantLimit, platformLimit, weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        return result switch
        {
            -1 => AdmissionVerdict.TenantShareFull,
            -2 => AdmissionVerdict.PlatformFull,
            _ => AdmissionVerdict.Admitted,
        };
    }

    public async Task ReleaseForTenantAsync(string tenant, int items)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseForTenantScript, [counter, byTenant, weights], [tenant, items]).ConfigureAwait(false);
    }

    public async Task<bool> TryAddAsync(int items, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var result = await redis.GetDatabase()
            .ScriptEvaluateAsync(TryAddScript, [counter], [items, limit])
            .ConfigureAwait(false);
        return (long)result >= 0;
    }

    public async Task ReleaseAsync(int items)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [counter], [items]).ConfigureAwait(false);
    }

    public async Task<long> CurrentAsync()
    {
        var value = await redis.GetDatabase().StringGetAsync(counter).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }
}
