namespace FlowTok.Grains.Jobs;

/// <summary>How long a job waits before queueing its items again after the queue refused them (the broker restarting):
/// 1, 2, 4 ... seconds, at most 30.</summary>
public sealed class PublishBackoff
{
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    /// <summary>Attempts that failed so far.</summary>
    public int Failures { get; private set; }

    /// <summary>An attempt failed: the wait before the next.</summary>
    public TimeSpan Failed()
    {
        Failures++;
        return TimeSpan.FromSeconds(Math.Min(Longest.TotalSeconds, Math.Pow(2, Failures - 1)));
    }
}
