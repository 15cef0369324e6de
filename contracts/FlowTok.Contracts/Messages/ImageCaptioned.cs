namespace FlowTok.Contracts.Messages;

/// <summary>Event: item <see cref="Index"/> of caption job <see cref="JobId"/> finished.</summary>
public sealed record ImageCaptioned(string JobId, int Index, string Caption);
