using FlowTok.Contracts.Models;

namespace FlowTok.Storage;

/// <summary>A model replica that a silo announced: its grain key ("{silo}/{device}") and what it serves.</summary>
public sealed record RegisteredModel(string GrainKey, ModelDescriptor Model, DateTimeOffset SeenAt);

/// <summary>
/// Which model replicas are up, in Redis: model silos announce theirs (and refresh the announcement while alive);
/// the gateway reads it for readiness and to validate requests (supported sizes, directions).
/// </summary>
public interface IModelRegistry
{
    Task AnnounceAsync(string grainKey, ModelDescriptor model, TimeSpan timeToLive);

    Task WithdrawAsync(string grainKey);

    /// <summary>Announcements not yet expired.</summary>
    Task<IReadOnlyList<RegisteredModel>> ListAsync();
}
