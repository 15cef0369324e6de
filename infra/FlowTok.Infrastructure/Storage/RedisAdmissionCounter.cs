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

    readonly RedisKey counter = new RedisKeys(options.Value.KeyPrefix).Admission;

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
