using System.Collections.Concurrent;
using FlowTok.Contracts.Models;
using FlowTok.Gateway.Requests;
using FlowTok.Storage;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// Which models the gateway serves, from the model silos' announcements. A model is its id (<see cref="ModelDescriptor.Name"/>);
/// a request naming none gets the default: of the models that can do the task, the one announced with the lowest
/// <see cref="ModelDescriptor.Position"/> (the first of Model:Served), ties by id. Of a model's replicas, the version most of
/// them announce (ties: the ordinally greatest) is served, with the sizes that version serves.
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

    private readonly ConcurrentDictionary<string, DateTimeOffset> firstSeen = new(StringComparer.Ordinal);

    /// <summary>The served text-to-image model named <paramref name="id"/> (a <see cref="ModelListing.Id"/>), or the default.</summary>
    public async Task<ServedModel?> ForGenerationAsync(string? id = null) => For(await AnnouncedAsync(), id, m => m.TextToImage);

    /// <summary>The served image-to-text model named <paramref name="id"/>, or the default.</summary>
    public async Task<ServedModel?> ForCaptionAsync(string? id = null) => For(await AnnouncedAsync(), id, m => m.ImageToText);

    private static ServedModel? For(IReadOnlyList<RegisteredModel> announced, string? id, Func<ModelDescriptor, bool> can)
    {
        id ??= DefaultId(announced, can);
        return id is null ? null : Choose(announced.Where(r => r.Model.Name == id), can) is { } served ? served with { Id = id } : null;
    }

    /// <summary>The model a request naming none gets: the lowest position, then the ordinally smallest id.</summary>
    private static string? DefaultId(IEnumerable<RegisteredModel> announced, Func<ModelDescriptor, bool> can) =>
        announced.Select(r => r.Model).Where(can).OrderBy(m => m.Position).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault()?.Name;

    /// <summary>
    /// The models served now, one per name (<see cref="ModelDescriptor.Name"/>, the id clients use), the default first (by
    /// position, then id): what any of its replicas can do, its native size and the version most of them run. <c>created</c> is
    /// when this gateway first saw it announced.
    /// </summary>
    public async Task<IReadOnlyList<ModelListing>> ListAsync()
    {
        var listings = new List<ModelListing>();
        foreach (var named in (await AnnouncedAsync()).GroupBy(r => r.Model.Name, StringComparer.Ordinal)
                     .OrderBy(g => g.Min(r => r.Model.Position)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var served = Choose(named, _ => true)!;
            var models = named.Select(r => r.Model).Where(m => m.Version == served.Version).ToList();
            List<string> capabilities = [];
            if (models.Any(m => m.TextToImage)) capabilities.Add(ModelListing.TextToImage);
            if (models.Any(m => m.ImageToText)) capabilities.Add(ModelListing.ImageToText);
            var created = firstSeen.GetOrAdd(named.Key, _ => clock.GetUtcNow());
            listings.Add(new ModelListing(named.Key, served.Version, created, capabilities, served.NativeSize, served.SupportedSizes));
        }
        return listings;
    }

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
        var stated = version.First();
        return new ServedModel(version.Key, sizes[0], sizes)
        {
            DefaultSteps = stated.DefaultSteps > 0 ? stated.DefaultSteps : PaperSampling.Steps,
            DefaultGuidanceScale = stated.DefaultSteps > 0 ? stated.DefaultGuidanceScale : PaperSampling.GuidanceScale,
        };
    }
}

/// <summary>One served model as <c>GET /v1/models</c> lists it.</summary>
public sealed record ModelListing(string Id, string Version, DateTimeOffset Created, IReadOnlyList<string> Capabilities, int NativeSize,
    IReadOnlyList<int> SupportedSizes)
{
    public const string TextToImage = "text-to-image", ImageToText = "image-to-text";
}
