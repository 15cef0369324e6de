using FlowTok.Infrastructure.Storage;
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
                .Select(_ => Task.Run(() => counter.TryAddAsync(1, limit)))));

            Assert.Equal(limit, results.Count(admitted => admitted));
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
                    if (!await counter.TryAddAsync(1, limit))
                    {
                        continue;
                    }
                    Interlocked.Increment(ref admissions);
                    var held = Interlocked.Increment(ref holding);
                    InterlockedMax(ref mostHeld, held);
                    await Task.Yield();
                    Interlocked.Decrement(ref holding);
                    await counter.ReleaseAsync(1);
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

        Assert.True(await counter.TryAddAsync(3, limit: 4));
        Assert.False(await counter.TryAddAsync(2, limit: 4));
        Assert.Equal(3, await counter.CurrentAsync());
        Assert.True(await counter.TryAddAsync(1, limit: 4));
        Assert.Equal(4, await counter.CurrentAsync());
    }

    [Fact]
    public async Task ReleasedCapacityIsAdmittedAgain()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());
        Assert.True(await counter.TryAddAsync(4, limit: 4));

        await counter.ReleaseAsync(3);

        Assert.Equal(1, await counter.CurrentAsync());
        Assert.True(await counter.TryAddAsync(3, limit: 4));
    }

    [Fact]
    public async Task ReleaseNeverGoesNegative()
    {
        var counter = new RedisAdmissionCounter(backend.Redis, backend.NewOptions());

        await counter.ReleaseAsync(5);
        Assert.Equal(0, await counter.CurrentAsync());

        Assert.True(await counter.TryAddAsync(2, limit: 10));
        await counter.ReleaseAsync(5);
        Assert.Equal(0, await counter.CurrentAsync());
    }

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

[Collection(RedisServerBackend.Collection)]
public sealed class AdmissionCounterOnRedisServer(RedisServerBackend backend) : AdmissionCounterTests(backend);
