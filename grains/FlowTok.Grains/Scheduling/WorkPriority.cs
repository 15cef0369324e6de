namespace FlowTok.Grains.Scheduling;

/// <summary>
/// How urgent a piece of work is. Interactive work (the synchronous API's default) goes first; batch work (async jobs'
/// default) keeps a guaranteed minimum share of device time (<see cref="SchedulerOptions.BatchMinimumShare"/>), so it is
/// never starved.
/// </summary>
public enum WorkPriority
{
    Interactive = 0,
    Batch = 1,
}
