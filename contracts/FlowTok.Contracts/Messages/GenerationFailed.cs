namespace FlowTok.Contracts.Messages;

/// <summary>Event: item <see cref="Index"/> of job <see cref="JobId"/> failed for good (after retries) or was cancelled.</summary>
public sealed record GenerationFailed(string JobId, int Index, string Reason, bool Cancelled);
