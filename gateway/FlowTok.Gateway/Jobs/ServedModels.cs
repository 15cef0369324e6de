using FlowTok.Contracts.Models;
using FlowTok.Gateway.Requests;
using FlowTok.Infrastructure.Storage;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// Which model version the gateway serves, from the model silos' announcements: among the replicas that can do the task,
/// the version most replicas announce (ties: the ordinally greatest), with the sizes that version serves.
/// </summary>
public sealed class ServedModels(IModelRegistry registry)
{
    public async Task<ServedModel?> ForGenerationAsync() => Choose(await registry.ListAsync(), m => m.TextToImage);

    public async Task<ServedModel?> ForCaptionAsync() => Choose(await registry.ListAsync(), m => m.ImageToText);

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
