namespace FlowTok.Contracts.Jobs;

/// <summary>How urgent a job's work is on the devices: interactive (the synchronous API's default) goes first; batch (async
/// jobs' default) keeps a guaranteed minimum share of device time and is never starved.</summary>
public enum JobPriority
{
    Interactive = 0,
    Batch = 1,
}
