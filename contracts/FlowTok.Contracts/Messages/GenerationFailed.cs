namespace FlowTok.Contracts.Messages;

/// <summary>Event: item <see cref="Index"/> of job <see cref="JobId"/> failed for good (after retries) or was cancelled.
/// <see cref="Reason"/> is a code of <see cref="Jobs.ItemFailures"/>: the details stay in the silo's log.</summary>
public sealed record GenerationFailed(string JobId, int Index, string Reason, bool Cancelled);
