namespace FlowTok.Grains.Jobs;

/// <summary>
/// Items go silent when their result event is lost (published as the broker went down) or their replica vanished with the
/// in-memory bus. Every started item is watched: silent for Platform:ItemStallTimeout (doubling each time) means it is
/// queued again, at most Platform:MaxItemRequeues times; a late original result wins, the duplicate is ignored.
/// Plain state: the job grain feeds it what it hears and asks it on a timer every <see cref="Period"/>.
/// </summary>
public sealed class StallWatch(TimeSpan stallTimeout, int maxRequeues)
{
    /// <summary>Started, unsettled items: when each was last heard of (progress) or queued again, and how often it was.</summary>
    private readonly Dictionary<int, (DateTimeOffset At, int Requeues)> heard = [];

    /// <summary>Zero timeout or no requeues: nothing is watched.</summary>
    public bool Enabled => stallTimeout > TimeSpan.Zero && maxRequeues > 0;

    /// <summary>How often to look for silent items.</summary>
    public TimeSpan Period => stallTimeout / 4;

    public void Heard(int index, DateTimeOffset now) => heard[index] = (now, heard.GetValueOrDefault(index).Requeues);

    /// <summary>The unsettled items silent for too long at <paramref name="now"/>, in order; each counts as queued again now.</summary>
    public IReadOnlyList<int> TakeStalled(DateTimeOffset now, Func<int, bool> settled)
    {
        var stalled = heard
            .Where(h => !settled(h.Key) && h.Value.Requeues < maxRequeues && now - h.Value.At > stallTimeout * Math.Pow(2, h.Value.Requeues))
            .Select(h => h.Key).Order().ToList();
        foreach (var i in stalled) heard[i] = (now, heard[i].Requeues + 1);
        return stalled;
    }
}
