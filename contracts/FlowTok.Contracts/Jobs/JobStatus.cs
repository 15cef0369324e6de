namespace FlowTok.Contracts.Jobs;

public enum JobStatus
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

public static class JobStatusExtensions
{
    public static bool IsTerminal(this JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    /// <summary>The lower-case name used on the wire ("queued", "running", ...).</summary>
    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();
}
