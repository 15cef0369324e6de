using System.Diagnostics;
using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Models;

/// <summary>A replica's counters (steps, row-steps, items, busy time, most rows in a step) and each tenant's items and queue
/// wait; read from any thread while the device thread adds to them.</summary>
internal sealed class ReplicaTally
{
    private readonly object gate = new();
    private readonly Dictionary<string, (long Items, double QueueWaitSeconds)> tenants = new(StringComparer.Ordinal);
    private long steps, rowSteps, items, busyTicks, expiredStarts;
    private int maxRows;

    /// <summary>One step over <paramref name="rows"/> rows.</summary>
    public void Step(int rows)
    {
        lock (gate)
        {
            steps++;
            rowSteps += rows;
            maxRows = Math.Max(maxRows, rows);
        }
    }

    /// <summary>The device was busy for <paramref name="ticks"/> (Stopwatch ticks) starting rows, stepping and decoding.</summary>
    public void Busy(long ticks)
    {
        lock (gate) busyTicks += ticks;
    }

    /// <summary>Device time was charged to an item that joined after its deadline (the check that this never happens).</summary>
    public void ExpiredStart()
    {
        lock (gate) expiredStarts++;
    }

    public void Succeeded(string tenant)
    {
        lock (gate)
        {
            items++;
            var t = tenants.GetValueOrDefault(tenant);
            tenants[tenant] = (t.Items + 1, t.QueueWaitSeconds);
        }
    }

    public void Waited(string tenant, TimeSpan waited)
    {
        lock (gate)
        {
            var t = tenants.GetValueOrDefault(tenant);
            tenants[tenant] = (t.Items, t.QueueWaitSeconds + waited.TotalSeconds);
        }
    }

    public RunnerStats Stats(int queueDepth, long deadlineDrops, long preemptions)
    {
        lock (gate)
            return new RunnerStats(queueDepth, steps, rowSteps, items, TimeSpan.FromSeconds(busyTicks / (double)Stopwatch.Frequency), maxRows, deadlineDrops, preemptions, expiredStarts);
    }

    /// <summary>Each tenant the scheduler knows: its device seconds and deadline drops from there, its items and wait from here.</summary>
    public IReadOnlyList<TenantUsageRecord> Usage(IEnumerable<TenantStanding> standings)
    {
        lock (gate)
            return standings.Select(s =>
            {
                var t = tenants.GetValueOrDefault(s.Tenant);
                return new TenantUsageRecord(s.Tenant, s.DeviceSeconds, t.Items, t.QueueWaitSeconds, s.DeadlineDrops);
            }).ToList();
    }
}
