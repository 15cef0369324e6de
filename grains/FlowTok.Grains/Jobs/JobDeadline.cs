using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// When a job gives up: no job waits forever, so one whose items have not all come back by Platform:JobTimeout after it was
/// created (a lost event, a replica that died with the in-memory bus) fails with the reason. Its items carry a deadline
/// too, so a replica drops one that has not started by then instead of using a device for a job already given up.
/// </summary>
public sealed record JobDeadline(DateTimeOffset CreatedAt, TimeSpan Timeout)
{
    public DateTimeOffset At => CreatedAt + Timeout;

    /// <summary>Time left at <paramref name="now"/> (never negative).</summary>
    public TimeSpan Remaining(DateTimeOffset now) => At > now ? At - now : TimeSpan.Zero;

    /// <summary>An item not started by the request's own deadline, or else by the job's timeout, is dropped before it runs.</summary>
    public DateTimeOffset ForItems(JobSpec spec) => spec.Deadline is { } deadline && deadline < At ? deadline : At;

    /// <summary>The job's error when it timed out with <paramref name="missing"/> items unfinished.</summary>
    public string Reason(IEnumerable<int> missing) => $"the job timed out after {Timeout}: item(s) {string.Join(", ", missing)} did not finish";
}
