using FlowTok.Storage;
using System.Globalization;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// The platform-wide count of admitted items in one key ("admission"), per tenant in a hash, and the per-job reservations
/// those counts add up ("admission:jobs"). Reserve and release are Lua scripts, so each is one atomic step on the server
/// however many gateways admit at once; both are idempotent per job, so a retried submit or release never counts twice.
/// </summary>
public sealed class RedisAdmissionCounter(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IAdmissionCounter
{
    // KEYS[1] counter, KEYS[2] tenant counts, KEYS[3] tenant weights, KEYS[4] job reservations; ARGV[1] tenant, ARGV[2] items,
    // ARGV[3] tenant limit, ARGV[4] platform limit, ARGV[5] weight, ARGV[6] job id, ARGV[7] the reservation. Returns the
    // tenant's new count (0 when the job already held its reservation), -1 (tenant share full) or -2 (platform full).
    const string TryReserveScript = """
        if redis.call('HEXISTS', KEYS[4], ARGV[6]) == 1 then
          return 0
        end
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
        redis.call('HSET', KEYS[4], ARGV[6], ARGV[7])
        return redis.call('HINCRBY', KEYS[2], ARGV[1], items)
        """;

    // KEYS as above; ARGV[1] job id. Returns the items returned, or -1 when the job held no reservation. Neither count goes
    // below zero; a tenant at zero leaves the hash.
    const string ReleaseReservationScript = """
        local reservation = redis.call('HGET', KEYS[4], ARGV[1])
        if not reservation then
          return -1
        end
        redis.call('HDEL', KEYS[4], ARGV[1])
        local items, admitted, tenant = string.match(reservation, '^(%d+)|(%d+)|(.*)$')
        items = tonumber(items)
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local global = math.min(current, items)
        if global > 0 then
          redis.call('DECRBY', KEYS[1], global)
        end
        local held = tonumber(redis.call('HGET', KEYS[2], tenant) or '0')
        if held - items <= 0 then
          redis.call('HDEL', KEYS[2], tenant)
        else
          redis.call('HINCRBY', KEYS[2], tenant, -items)
        end
        return items
        """;

    // KEYS as above. Sets both counts to what the reservations add up (the truth), in one atomic step; returns by how much
    // the platform count was off.
    const string RecountScript = """
        local entries = redis.call('HGETALL', KEYS[4])
        local total = 0
        local byTenant = {}
        for i = 1, #entries, 2 do
          local items, admitted, tenant = string.match(entries[i + 1], '^(%d+)|(%d+)|(.*)$')
          if items then
            total = total + tonumber(items)
            byTenant[tenant] = (byTenant[tenant] or 0) + tonumber(items)
          end
        end
        local before = tonumber(redis.call('GET', KEYS[1]) or '0')
        redis.call('SET', KEYS[1], total)
        redis.call('DEL', KEYS[2])
        for tenant, items in pairs(byTenant) do
          redis.call('HSET', KEYS[2], tenant, items)
        end
        return before - total
        """;

    readonly RedisKey counter = new RedisKeys(options.Value.KeyPrefix).Admission;
    readonly RedisKey byTenant = new RedisKeys(options.Value.KeyPrefix).AdmissionByTenant;
    readonly RedisKey weights = new RedisKeys(options.Value.KeyPrefix).AdmissionWeights;
    readonly RedisKey jobs = new RedisKeys(options.Value.KeyPrefix).AdmissionJobs;

    public async Task<IReadOnlyDictionary<string, TenantAdmission>> TenantsAsync()
    {
        var db = redis.GetDatabase();
        var held = await db.HashGetAllAsync(byTenant).ConfigureAwait(false);
        var weighed = (await db.HashGetAllAsync(weights).ConfigureAwait(false))
            .ToDictionary(e => e.Name.ToString(), e => double.TryParse(e.Value.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w > 0 ? w : 1.0);
        return held.Where(e => (long)e.Value > 0)
            .ToDictionary(e => e.Name.ToString(), e => new TenantAdmission((long)e.Value, weighed.GetValueOrDefault(e.Name.ToString(), 1.0)));
    }

    public async Task<AdmissionVerdict> TryReserveAsync(string jobId, string tenant, double weight, int items, int tenantLimit, int platformLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        var reservation = FormattableString.Invariant($"{items}|{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}|{tenant}");
        var result = (long)await redis.GetDatabase().ScriptEvaluateAsync(TryReserveScript, [counter, byTenant, weights, jobs],
            [tenant, items, tenantLimit, platformLimit, weight.ToString("R", CultureInfo.InvariantCulture), jobId, reservation]).ConfigureAwait(false);
        return result switch
        {
            -1 => AdmissionVerdict.TenantShareFull,
            -2 => AdmissionVerdict.PlatformFull,
            _ => AdmissionVerdict.Admitted,
        };
    }

    public async Task<bool> ReleaseReservationAsync(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var returned = (long)await redis.GetDatabase().ScriptEvaluateAsync(ReleaseReservationScript, [counter, byTenant, weights, jobs], [jobId]).ConfigureAwait(false);
        return returned >= 0;
    }

    public async Task<IReadOnlyList<AdmissionReservation>> ReservationsAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(jobs).ConfigureAwait(false);
        var reservations = new List<AdmissionReservation>(entries.Length);
        foreach (var entry in entries)
        {
            var parts = entry.Value.ToString().Split('|', 3);
            if (parts.Length == 3 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var items)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var admitted))
                reservations.Add(new AdmissionReservation(entry.Name.ToString(), parts[2], items, DateTimeOffset.FromUnixTimeMilliseconds(admitted)));
        }
        return reservations;
    }

    public async Task<long> RecountAsync() =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(RecountScript, [counter, byTenant, weights, jobs]).ConfigureAwait(false);

    public async Task<long> CurrentAsync()
    {
        var value = await redis.GetDatabase().StringGetAsync(counter).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }
}
