namespace FlowTok.Contracts.Messages;

/// <summary>Event: item <see cref="Index"/> of job <see cref="JobId"/> (an image or a caption) did not succeed: it failed for
/// good (after retries), missed its deadline or was cancelled. <see cref="Reason"/> is a code of
/// <see cref="Jobs.ItemFailures"/> (<see cref="Jobs.ItemFailures.Cancelled"/> for a cancellation): the details stay in the
/// silo's log.</summary>
public sealed record ItemFailed(string JobId, int Index, string Reason);
