using FlowTok.Storage;
using System.Collections.Concurrent;
using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// A cancelled job is a key "cancel:{job}" with a TTL (for work that starts later, or a process that missed the message)
/// plus a message on the "cancelled" channel. Every instance subscribes when constructed and keeps the cancelled job ids
/// it has seen in memory, so <see cref="IsCancelledLocally"/> costs no round-trip.
/// </summary>
public sealed class RedisCancellationSignals : ICancellationSignals, IDisposable
{
    static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    readonly IConnectionMultiplexer redis;
    readonly RedisKeys keys;
    readonly TimeSpan timeToLive;
    readonly TimeProvider time;
    readonly ConcurrentDictionary<string, DateTimeOffset> cancelledUntil = new(StringComparer.Ordinal);
    readonly ChannelMessageQueue subscription;
    DateTimeOffset nextSweep;

    public RedisCancellationSignals(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider? time = null)
    {
        this.redis = redis;
        keys = new RedisKeys(options.Value.KeyPrefix);
        timeToLive = options.Value.CancellationTimeToLive;
        this.time = time ?? TimeProvider.System;
        nextSweep = this.time.GetUtcNow() + SweepInterval;
        subscription = redis.GetSubscriber().Subscribe(keys.CancellationChannel);
        subscription.OnMessage(message => Remember(message.Message.ToString()));
    }

    public event Action<string>? Cancelled;

    public async Task CancelAsync(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        // The flag first: a process that misses the broadcast still finds it before starting the job.
        await redis.GetDatabase().StringSetAsync(keys.Cancellation(jobId), 1, timeToLive).ConfigureAwait(false);
        Remember(jobId);
        await redis.GetSubscriber().PublishAsync(keys.CancellationChannel, jobId).ConfigureAwait(false);
    }

    public async Task<bool> IsCancelledAsync(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return IsCancelledLocally(jobId)
            || await redis.GetDatabase().KeyExistsAsync(keys.Cancellation(jobId)).ConfigureAwait(false);
    }

    public bool IsCancelledLocally(string jobId) =>
        cancelledUntil.TryGetValue(jobId, out var until) && until > time.GetUtcNow();

    public void Dispose() => subscription.Unsubscribe();

    /// <summary>Records a cancellation and raises <see cref="Cancelled"/> once per job (not again for its echo).</summary>
    void Remember(string jobId)
    {
        var now = time.GetUtcNow();
        var until = now + timeToLive;
        var isNew = false;
        cancelledUntil.AddOrUpdate(
            jobId,
            _ => { isNew = true; return until; },
            (_, previous) =>
            {
                isNew = previous <= now;
                return isNew ? until : previous;
            });
        SweepExpired(now);
        if (isNew)
        {
            RaiseCancelled(jobId);
        }
    }

    void RaiseCancelled(string jobId)
    {
        if (Cancelled is not { } handlers)
        {
            return;
        }
        // One failing listener must not keep the others (or the subscription loop) from hearing about it.
        foreach (var handler in handlers.GetInvocationList().Cast<Action<string>>())
        {
            try
            {
                handler(jobId);
            }
            catch (Exception)
            {
                // Listeners own their errors; the flag stays set either way.
            }
        }
    }

    void SweepExpired(DateTimeOffset now)
    {
        if (now < nextSweep)
        {
            return;
        }
        nextSweep = now + SweepInterval;
        foreach (var (jobId, until) in cancelledUntil)
        {
            if (until <= now)
            {
                cancelledUntil.TryRemove(KeyValuePair.Create(jobId, until));
            }
        }
    }
}
