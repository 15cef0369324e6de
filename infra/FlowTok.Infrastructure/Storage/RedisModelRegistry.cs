using FlowTok.Storage;
using System.Text.Json;
using FlowTok.Contracts.Models;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// One hash ("models"): grain key -> JSON announcement with its own expiry time (hash fields cannot expire in Redis 7.0,
/// so expiry is checked on read and expired fields are removed then). Expiry compares clocks across machines: keep the
/// announcement TTL well above the clock skew and the refresh interval.
/// </summary>
public sealed class RedisModelRegistry(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null)
    : IModelRegistry
{
    // KEYS[1] the hash; ARGV pairs of field and the value read as expired. Deletes a field only if it still holds that
    // value, so a replica that re-announced in between stays listed.
    const string DeleteUnchangedScript = """
        local deleted = 0
        for i = 1, #ARGV, 2 do
          if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
            deleted = deleted + redis.call('HDEL', KEYS[1], ARGV[i])
          end
        end
        return deleted
        """;

    readonly RedisKey models = new RedisKeys(options.Value.KeyPrefix).Models;
    readonly TimeProvider time = time ?? TimeProvider.System;

    public Task AnnounceAsync(string grainKey, ModelDescriptor model, TimeSpan timeToLive)
    {
        ArgumentException.ThrowIfNullOrEmpty(grainKey);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        var now = time.GetUtcNow();
        var announcement = JsonSerializer.Serialize(new Announcement(grainKey, model, now, now + timeToLive));
        return redis.GetDatabase().HashSetAsync(models, grainKey, announcement);
    }

    public Task WithdrawAsync(string grainKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(grainKey);
        return redis.GetDatabase().HashDeleteAsync(models, grainKey);
    }

    public async Task<IReadOnlyList<RegisteredModel>> ListAsync()
    {
        var db = redis.GetDatabase();
        var entries = await db.HashGetAllAsync(models).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var live = new List<RegisteredModel>(entries.Length);
        var expired = new List<RedisValue>();
        foreach (var entry in entries)
        {
            var announcement = Parse(entry.Value);
            if (announcement is null || announcement.ExpiresAt <= now)
            {
                expired.Add(entry.Name);
                expired.Add(entry.Value);
                continue;
            }
            live.Add(new RegisteredModel(announcement.GrainKey, announcement.Model, announcement.SeenAt));
        }
        if (expired.Count > 0)
        {
            _ = db.ScriptEvaluateAsync(DeleteUnchangedScript, [models], [.. expired], CommandFlags.FireAndForget);
        }
        return live.OrderBy(model => model.GrainKey, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The announcement, or null for a value this version cannot read (treated as expired).</summary>
    static Announcement? Parse(RedisValue value)
    {
        try
        {
            return JsonSerializer.Deserialize<Announcement>(value.ToString());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    sealed record Announcement(string GrainKey, ModelDescriptor Model, DateTimeOffset SeenAt, DateTimeOffset ExpiresAt);
}
