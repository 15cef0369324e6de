using FlowTok.Contracts.Models;
using FlowTok.Gateway.Requests;
using FlowTok.Infrastructure.Storage;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// Which model version the gateway serves, from the model silos' announcements: among the replicas that can do the task,
/// the version most replicas announce (ties: the ordinally greatest), with the sizes that version serves.
/// </summary>
public sealed class ServedModels(IModelRegistry registry, TimeProvider clock)
{
    /// <summary>How long one read of the registry is reused: every request needs it, and it changes rarely.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an empty read is answered with the last replicas seen instead: while a silo drains, the registry can
    /// list nothing for a moment (seen in the drain cluster test), and turning requests away then would be wrong; they
    /// are accepted and queue for whichever replica serves next.
    /// </summary>
    public static readonly TimeSpan EmptyReadGrace = TimeSpan.FromSeconds(2);

    private (IReadOnlyList<RegisteredModel> Models, DateTimeOffset ReadAt)? cached;

    public async Task<ServedModel?> ForGenerationAsync() => Choose(await AnnouncedAsync(), m => m.TextToImage);

    public async Task<ServedModel?> ForCaptionAsync() => Choose(await AnnouncedAsync(), m => m.ImageToText);

    private async Task<IReadOnlyList<RegisteredModel>> AnnouncedAsync()
    {
        var now = clock.GetUtcNow();
        // An empty list is never reused: the gateway must notice the first replica at once.
        if (cached is { } c && c.Models.Count > 0 && now - c.ReadAt < CacheFor) return c.Models;
        var models = await registry.ListAsync();
        // Within the grace period the last non-empty read stays cached (its age keeps the registry being read).
        if (models.Count == 0 && cached is { Models.Count: > 0 } seen && now - seen.ReadAt < EmptyReadGrace) return seen.Models;
        cached = (models, now);
        return models;
    }

    public static ServedModel? Choose(IEnumerable<RegisteredModel> announced, Func<ModelDescriptor, bool> can)
    {
        var version = announced.Select(r => r.Model).Where(can)
            .GroupBy(m => m.Version, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        if (version is null) return null;
        int[] sizes = [.. version.Select(m => m.ImageSize).Distinct().Order()];
        return new ServedModel(version.Key, sizes[0], sizes);
    }
}
