using FlowTok.Storage;
using System.Text.Json;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// "idem:{tenant}:{SHA-256 of the key}" -> JSON {job id, request hash}, written with SET NX and a TTL so the first writer
/// wins atomically across every gateway.
/// </summary>
public sealed class RedisIdempotencyStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IIdempotencyStore
{
    // Between a failed SET NX and the GET the earlier claim can expire; then claiming again is right, a few times at most.
    const int Attempts = 3;

    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeSpan timeToLive = options.Value.IdempotencyTimeToLive;

    public async Task<IdempotencyClaim> ClaimAsync(string tenantId, string key, string requestHash, string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(requestHash);
        ArgumentException.ThrowIfNullOrEmpty(jobId);

        var db = redis.GetDatabase();
        var redisKey = keys.Idempotency(tenantId, key);
        var claim = JsonSerializer.Serialize(new Claim(jobId, requestHash));
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (await db.StringSetAsync(redisKey, claim, timeToLive, When.NotExists).ConfigureAwait(false))
            {
                return new IdempotencyClaim(jobId, IsNew: true, SameRequest: true);
            }
            var existing = await db.StringGetAsync(redisKey).ConfigureAwait(false);
            if (!existing.IsNull)
            {
                var earlier = JsonSerializer.Deserialize<Claim>(existing.ToString())
                    ?? throw new InvalidDataException($"Idempotency record {redisKey} is empty.");
                return new IdempotencyClaim(earlier.JobId, IsNew: false, SameRequest: earlier.RequestHash == requestHash);
            }
        }
        throw new RedisException($"Idempotency key {redisKey} kept expiring while being claimed.");
    }

    sealed record Claim(string JobId, string RequestHash);
}
