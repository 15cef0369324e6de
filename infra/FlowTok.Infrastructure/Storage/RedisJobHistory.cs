using FlowTok.Storage;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// "jobs:{tenant}" is a sorted set of job ids scored by submission time (unix ms, with fraction). Every add trims it by time
/// (<see cref="RedisOptions.JobHistoryTimeToLive"/>) and size (<see cref="RedisOptions.JobHistoryMaxJobs"/>) and renews the
/// key's TTL, so an idle tenant's list expires with its last job. Pages are by rank after the cursor's own rank, which
/// stays right when jobs arrive between two pages (new ones rank before the cursor).
/// </summary>
public sealed class RedisJobHistory(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null) : IJobHistory
{
    readonly RedisKeys keys = new(options.Value.KeyPrefix);
    readonly TimeSpan retention = options.Value.JobHistoryTimeToLive;
    readonly int maxJobs = Math.Max(1, options.Value.JobHistoryMaxJobs);
    readonly TimeProvider clock = time ?? TimeProvider.System;

    public async Task AddAsync(string tenantId, string jobId, DateTimeOffset submittedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var key = keys.JobHistory(tenantId);
        double oldest = Score(clock.GetUtcNow() - retention);
        var batch = redis.GetDatabase().CreateBatch();
        var added = batch.SortedSetAddAsync(key, jobId, Score(submittedAt), When.NotExists);
        var byTime = batch.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, oldest, Exclude.Stop);
        var bySize = batch.SortedSetRemoveRangeByRankAsync(key, 0, -maxJobs - 1);
        var expiry = batch.KeyExpireAsync(key, retention);
        batch.Execute();
        await Task.WhenAll(added, byTime, bySize, expiry).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>?> ListAsync(string tenantId, int limit, string? afterJobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var db = redis.GetDatabase();
        var key = keys.JobHistory(tenantId);
        long start = 0;
        if (afterJobId is not null)
        {
            if (await db.SortedSetRankAsync(key, afterJobId, Order.Descending).ConfigureAwait(false) is not { } rank) return null;
            start = rank + 1;
        }
        var ids = await db.SortedSetRangeByRankAsync(key, start, start + limit - 1, Order.Descending).ConfigureAwait(false);
        return [.. ids.Select(id => id.ToString())];
    }

    /// <summary>Unix milliseconds with the fraction kept (microseconds fit a double exactly): jobs submitted one after another
    /// in the same millisecond still list in order.</summary>
    static double Score(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerMillisecond;

    public async Task RemoveAsync(string tenantId, IReadOnlyCollection<string> jobIds)
    {
        if (jobIds.Count == 0) return;
        await redis.GetDatabase().SortedSetRemoveAsync(keys.JobHistory(tenantId), [.. jobIds.Select(id => (RedisValue)id)]).ConfigureAwait(false);
    }
}
