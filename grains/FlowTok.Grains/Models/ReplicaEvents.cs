namespace FlowTok.Grains.Models;

/// <summary>What a replica reports as it works (metrics, usage metering); see the events of <see cref="ModelRunner"/>.</summary>
internal sealed class ReplicaEvents
{
    public event Action<int, TimeSpan>? BatchCompleted;
    public event Action<string, double>? DeviceTimeCharged;
    public event Action<string, TimeSpan>? ItemStarted;
    public event Action<string, string, string>? ItemEnded;

    public void Stepped(int rows, TimeSpan took) => BatchCompleted?.Invoke(rows, took);

    public void Charged(string tenant, double seconds) => DeviceTimeCharged?.Invoke(tenant, seconds);

    public void Started(string tenant, TimeSpan waited) => ItemStarted?.Invoke(tenant, waited);

    /// <summary>An item ends (<paramref name="end"/> completes its task), then is reported with its outcome.</summary>
    public void Ended(WorkItem item, string outcome, Action<WorkItem> end)
    {
        ItemTracing.End(item, outcome);
        end(item);
        ItemEnded?.Invoke(item.Origin.Tenant, item.Kind, outcome);
    }
}
