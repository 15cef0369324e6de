using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Tests.Scheduling;

/// <summary>
/// A step-level device in virtual time for scheduler tests: up to <c>rows</c> items share each step, a step costs
/// a + n b seconds split evenly among its rows, an item takes its number of steps. Free rows are filled from the
/// scheduler at every step boundary, exactly as the replica's device loop does.
/// </summary>
internal sealed class DeviceModel(FairScheduler<string> scheduler, int rows = 8, double stepSeconds = 0.010, double rowSeconds = 0.00125)
{
    private readonly List<(ScheduledWork<string> Work, int StepsLeft)> running = [];

    public DateTimeOffset Now { get; private set; } = DateTimeOffset.UnixEpoch;
    public Dictionary<string, double> DeviceSeconds { get; } = [];
    public List<ScheduledWork<string>> Started { get; } = [];
    public List<ScheduledWork<string>> Expired { get; } = [];
    public Func<ScheduledWork<string>, int> StepsOf { get; set; } = _ => 20;

    public int Running => running.Count;

    /// <summary>One step: fill free rows, run, charge each row its share, retire finished rows.</summary>
    public void Step()
    {
        while (running.Count < rows && scheduler.Next(Now, Expired) is { } work)
        {
            Started.Add(work);
            running.Add((work, StepsOf(work)));
        }
        if (running.Count == 0) return;
        double cost = stepSeconds + running.Count * rowSeconds;
        Now += TimeSpan.FromSeconds(cost);
        for (int i = running.Count - 1; i >= 0; i--)
        {
            var (work, left) = running[i];
            double share = cost / running.Count;
            scheduler.Charge(work, share);
            DeviceSeconds[work.Ticket.Tenant] = DeviceSeconds.GetValueOrDefault(work.Ticket.Tenant) + share;
            if (left == 1)
            {
                scheduler.Complete(work);
                running.RemoveAt(i);
            }
            else running[i] = (work, left - 1);
        }
    }

    public void Idle(TimeSpan span) => Now += span;

    public double ShareOf(string tenant) => DeviceSeconds.GetValueOrDefault(tenant) / DeviceSeconds.Values.Sum();
}
