namespace FlowTok.Contracts.Messages;

/// <summary>Event: image <see cref="Index"/> of job <see cref="JobId"/> is stored as <see cref="FileId"/>.</summary>
public sealed record ImageGenerated(string JobId, int Index, string FileId, long Seed);
