using FlowTok.Storage.Tenants;
using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace FlowTok.Infrastructure.Tenants;

/// <summary>
/// What one process remembers of key lookups, by key hash: accepted keys for <see cref="AcceptedFor"/> (the hot path costs
/// no round-trip) and refused keys for <see cref="RefusedFor"/>, at most <see cref="RefusedLimit"/> of them (a client
/// repeating a bad key costs no round-trip either, and random keys cannot grow memory). <see cref="Forget"/> drops a hash
/// from both when the key is added or revoked anywhere; a lookup that was under way while that happened stores nothing
/// (it may have read the old state).
/// </summary>
public sealed class KeyLookupCache(TimeProvider time) : IDisposable
{
    /// <summary>How long an accepted key is believed without asking Redis: the bound on a revocation whose broadcast this
    /// process missed (and on a tenant's changed limits).</summary>
    public static readonly TimeSpan AcceptedFor = TimeSpan.FromSeconds(5);

    /// <summary>How long a refused key is refused without asking Redis: the bound on a new key whose broadcast this
    /// process missed.</summary>
    public static readonly TimeSpan RefusedFor = TimeSpan.FromSeconds(30);

    public const int RefusedLimit = 10_000;

    /// <summary>Above this many accepted keys, expired entries are dropped (bounded memory under many tenants).</summary>
    const int AcceptedSweepThreshold = 10_000;

    static readonly object Refused = new();

    readonly ConcurrentDictionary<string, (TenantInfo Tenant, DateTimeOffset Until)> accepted = new(StringComparer.Ordinal);
    readonly MemoryCache refused = new(new MemoryCacheOptions { SizeLimit = RefusedLimit, Clock = new Clock(time) });
    long changes;

    /// <summary>True with the tenant (accepted) or null (refused) when remembered.</summary>
    public bool TryGet(string keyHash, out TenantInfo? tenant)
    {
        if (accepted.TryGetValue(keyHash, out var entry) && entry.Until > time.GetUtcNow())
        {
            tenant = entry.Tenant;
            return true;
        }
        tenant = null;
        return refused.TryGetValue(keyHash, out _);
    }

    /// <summary>A stamp to pass to <see cref="Remember"/>, taken before asking Redis.</summary>
    public long Stamp => Interlocked.Read(ref changes);

    public void Remember(string keyHash, TenantInfo? tenant, long stamp)
    {
        if (stamp != Stamp)
        {
            return;
        }
        if (tenant is null)
        {
            accepted.TryRemove(keyHash, out _);
            refused.Set(keyHash, Refused, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = RefusedFor });
            return;
        }
        var now = time.GetUtcNow();
        if (accepted.Count >= AcceptedSweepThreshold)
        {
            foreach (var (hash, entry) in accepted)
            {
                if (entry.Until <= now)
                {
                    accepted.TryRemove(hash, out _);
                }
            }
        }
        accepted[keyHash] = (tenant, now + AcceptedFor);
    }

    public void Forget(string keyHash)
    {
        Interlocked.Increment(ref changes);
        accepted.TryRemove(keyHash, out _);
        refused.Remove(keyHash);
    }

    public void Dispose() => refused.Dispose();

    sealed class Clock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
