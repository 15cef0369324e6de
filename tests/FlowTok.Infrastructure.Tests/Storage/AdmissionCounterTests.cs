using FlowTok.Infrastructure.Storage;
using FlowTok.Storage;
using FlowTok.Infrastructure.Tests.Backends;

namespace FlowTok.Infrastructure.Tests.Storage;

public abstract class AdmissionCounterTests(RedisBackend backend)
{
    [Fact]
    public async Task AdmissionNeverExceedsLimitUnderConcurrency()
    {
        const int limit = 50;
        const int attemptsPerGateway = 100;
        var options = backend.NewOptions();
        // Four "gateways", each with its own connection, so the server really interleaves their scripts.
        var clients = Enumerable.Range(0, 4).Select(_ => backend.Connect()).ToArray();
        try
        {
            var counters = clients.Select(c => new RedisAdmissionCounter(c, options)).ToArray();

            var results = await Task.WhenAll(counters.SelectMany(counter => Enumerable.Range(0, attemptsPerGateway)
                .Select(_ => Task.Run(() => counter.TryReserveAsync(NewJob(), "t", 1, 1, int.MaxValue, limit)))));

            Assert.Equal(limit, results.Count(verdict => verdict == AdmissionVerdict.Admitted));
            Assert.Equal(limit, await counters[0].CurrentAsync());
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task AdmittedItemsNeverExceedLimitWhileAdmittingAndReleasing()
    {
        // Many crossings of the limit (admit, hold, release, repeat), where a non-atomic check-and-add would overshoot.
        const int limit = 5;
        var options = backend.NewOptions();
        var clients = Enumerable.Range(0, 6).Select(_ => backend.Connect()).ToArray();
        try
        {
            var counters = clients.Select(c => new RedisAdmissionCounter(c, options)).ToArray();
            var holding = 0;
            var mostHeld = 0;
            var admissions = 0;

            async Task Worker(RedisAdmissionCounter counter)
            {
                for (var i = 0; i < 150; i++)
                {
                    var job = NewJob();
                    if (await counter.TryReserveAsync(job, "t", 1, 1, int.MaxValue, limit) != AdmissionVerdict.Admitted)
                    {
                        continue;
                    }
                    Interlocked.Increment(ref admissions);
                    var held = Interlocked.Increment(ref holding);
                    InterlockedMax(ref mostHeld, held);
                    await Task.Yield();
                    Interlocked.Decrement(ref holding);
                    await counter.ReleaseReservationAsync(job);
                }
            }

            // Also watch the server's count from outside: an overshoot can be brief.
            using var stop = new CancellationTokenSource();
            var mostCounted = 0L;
            var observer = Task.Run(async () =>
            {
                var watcher = new RedisAdmissionCounter(backend.Redis, options);
                while (!stop.IsCancellationRequested)
                {
                    mostCounted = Math.Max(mostCounted, await watcher.CurrentAsync());
                }
            });
            await Task.WhenAll(counters.SelectMany(counter => Enumerable.Range(0, 4).Select(_ => Task.Run(() => Worker(counter)))));
            await stop.CancelAsync();
            await observer;

            Assert.InRange(admissions, limit * 10, int.MaxValue);
            Assert.InRange(mostHeld, 1, limit);
            Assert.InRange(mostCounted, 1, limit);
            Assert.Equal(0, await counters[0].CurrentAsync());
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task ATenantIsAdmittedUpToItsLimitAndReleasesBackToZero()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());

        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("j1", "big", 2, 6, tenantLimit: 8, platformLimit: 100));
        Assert.Equal(AdmissionVerdict.TenantShareFull, await counter.TryReserveAsync("j2", "big", 2, 3, tenantLimit: 8, platformLimit: 100));
        // A tenant holding nothing is admitted even above its limit (a job of n items is never refused forever).
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("j3", "small", 1, 3, tenantLimit: 2, platformLimit: 100));
        Assert.Equal(AdmissionVerdict.PlatformFull, await counter.TryReserveAsync("j4", "other", 1, 2, tenantLimit: 8, platformLimit: 10));
        var held = await counter.TenantsAsync();
        Assert.Equal(new TenantAdmission(6, 2), held["big"]);
        Assert.Equal(new TenantAdmission(3, 1), held["small"]);
        Assert.False(held.ContainsKey("other"));
        Assert.Equal(9, await counter.CurrentAsync());
        Assert.Equal([("j1", "big", 6), ("j3", "small", 3)],
            (await counter.ReservationsAsync()).Select(r => (r.JobId, r.Tenant, r.Items)).OrderBy(r => r.JobId));

        Assert.True(await counter.ReleaseReservationAsync("j1"));
        Assert.False((await counter.TenantsAsync()).ContainsKey("big"));
        Assert.Equal(3, await counter.CurrentAsync());
    }

    [Fact]
    public async Task AReservationIsCountedAndReturnedOncePerJob()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("job|1", "acme|x", 1, 4, tenantLimit: 4, platformLimit: 10));
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("job|1", "acme|x", 1, 4, tenantLimit: 4, platformLimit: 10));
        Assert.Equal(4, await counter.CurrentAsync());
        var reservation = Assert.Single(await counter.ReservationsAsync());
        Assert.Equal(("job|1", "acme|x", 4), (reservation.JobId, reservation.Tenant, reservation.Items));
        Assert.InRange(reservation.AdmittedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));

        Assert.True(await counter.ReleaseReservationAsync("job|1"));
        Assert.False(await counter.ReleaseReservationAsync("job|1"));
        Assert.Equal(0, await counter.CurrentAsync());
        Assert.Empty(await counter.TenantsAsync());
        Assert.Empty(await counter.ReservationsAsync());
    }

    [Fact]
    public async Task RefusedAdmissionLeavesTheCountUnchanged()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());

        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("a", "t", 1, 3, 10, platformLimit: 4));
        Assert.Equal(AdmissionVerdict.PlatformFull, await counter.TryReserveAsync("b", "u", 1, 2, 10, platformLimit: 4));
        Assert.Equal(3, await counter.CurrentAsync());
        Assert.Single(await counter.ReservationsAsync());
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("c", "u", 1, 1, 10, platformLimit: 4));
        Assert.Equal(4, await counter.CurrentAsync());
    }

    [Fact]
    public async Task ReleasingAJobWithoutAReservationChangesNothing()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());

        Assert.False(await counter.ReleaseReservationAsync("unknown"));
        Assert.Equal(0, await counter.CurrentAsync());

        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("a", "t", 1, 2, 10, 10));
        Assert.False(await counter.ReleaseReservationAsync("unknown"));
        Assert.Equal(2, await counter.CurrentAsync());
    }

    [Fact]
    public async Task ARecountSetsTheCountsToWhatTheReservationsAddUp()
    {
        var options = backend.NewOptions();
        var counter = new RedisAdmissionCounter(backend.Redis, options);
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("a", "t", 1, 2, 10, 100));
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("b", "t", 1, 3, 10, 100));
        Assert.Equal(AdmissionVerdict.Admitted, await counter.TryReserveAsync("c", "u", 1, 1, 10, 100));
        // Counts that drifted from the reservations: items no job holds (a count from before reservations), a phantom tenant.
        var keys = new FlowTok.Infrastructure.Redis.RedisKeys(options.Value.KeyPrefix);
        var db = backend.Redis.GetDatabase();
        await db.StringIncrementAsync(keys.Admission, 7);
        await db.HashIncrementAsync(keys.AdmissionByTenant, "t", 7);
        await db.HashSetAsync(keys.AdmissionByTenant, "ghost", 4);

        Assert.Equal(7, await counter.RecountAsync());

        Assert.Equal(6, await counter.CurrentAsync());
        var held = await counter.TenantsAsync();
        Assert.Equal([("t", 5L), ("u", 1L)], held.Select(h => (h.Key, h.Value.Items)).OrderBy(h => h.Key));
        Assert.Equal(0, await counter.RecountAsync());
    }

    static string NewJob() => "job-" + Guid.NewGuid().ToString("N");

    static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}

[Collection(GarnetBackend.Collection)]
public sealed class AdmissionCounterOnGarnet(GarnetBackend backend) : AdmissionCounterTests(backend);

[Trait("Tier", "system")] // needs redis-server installed
[Collection(RedisServerBackend.Collection)]
public sealed class AdmissionCounterOnRedisServer(RedisServerBackend backend) : AdmissionCounterTests(backend);
