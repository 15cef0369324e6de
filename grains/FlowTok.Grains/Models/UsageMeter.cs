using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Models;

/// <summary>Per-tenant device use measured by a replica since the last report (thread-safe: the inference thread adds).</summary>
internal sealed class UsageMeter
{
    private readonly object gate = new();
    private Dictionary<string, MeteredUsage> pending = new(StringComparer.Ordinal);

    public void AddDeviceTime(string tenant, double seconds) => Add(tenant, new MeteredUsage { DeviceSeconds = seconds });

    public void AddQueueWait(string tenant, TimeSpan wait) => Add(tenant, new MeteredUsage { QueueWaitSeconds = wait.TotalSeconds });

    public void AddItem(string tenant, string kind, string outcome)
    {
        if (outcome == "succeeded") Add(tenant, new MeteredUsage { ItemsRun = 1 });
        else if (outcome == "deadline") Add(tenant, new MeteredUsage { DeadlineDrops = 1 });
    }

    public void Restore(string tenant, MeteredUsage usage) => Add(tenant, usage);

    /// <summary>What was measured since the last call, per tenant.</summary>
    public IReadOnlyDictionary<string, MeteredUsage> Take()
    {
        lock (gate)
        {
            var taken = pending;
            pending = new Dictionary<string, MeteredUsage>(StringComparer.Ordinal);
            return taken;
        }
    }

    private void Add(string tenant, MeteredUsage usage)
    {
        lock (gate)
            pending[tenant] = pending.TryGetValue(tenant, out var sum)
                ? new MeteredUsage
                {
                    DeviceSeconds = sum.DeviceSeconds + usage.DeviceSeconds,
                    ItemsRun = sum.ItemsRun + usage.ItemsRun,
                    QueueWaitSeconds = sum.QueueWaitSeconds + usage.QueueWaitSeconds,
                    DeadlineDrops = sum.DeadlineDrops + usage.DeadlineDrops,
                }
                : usage;
    }
}
