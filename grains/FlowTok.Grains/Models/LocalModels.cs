using FlowTok.Contracts.Models;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FlowTok.Grains.Models;

/// <summary>The models of THIS silo (<see cref="HostedModel"/>) and their model grains ("{silo}/{device}" for each device),
/// handed work in turn.</summary>
public sealed class LocalModels
{
    private readonly IGrainFactory grains;
    private readonly Dictionary<string, Replicas> byId;

    public LocalModels(ILocalSiloDetails silo, IOptions<ModelHostingOptions> options, IGrainFactory grains)
    {
        this.grains = grains;
        Models = HostedModel.Resolve(options.Value);
        byId = Models.ToDictionary(m => m.Id, m => new Replicas([.. m.Devices.Select(d => ModelGrainKey.For(silo.Name, d))]), StringComparer.Ordinal);
        Keys = [.. byId.Values.SelectMany(r => r.Keys)];
    }

    /// <summary>The served models in Model:Served order (the first is the default).</summary>
    public IReadOnlyList<HostedModel> Models { get; }

    /// <summary>Every local replica's grain key.</summary>
    public IReadOnlyList<string> Keys { get; }

    public bool Any => Keys.Count > 0;

    /// <summary>The model a device of this silo serves.</summary>
    public HostedModel OnDevice(string device) =>
        Models.FirstOrDefault(m => m.Devices.Contains(device, StringComparer.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"device '{device}' is not in this silo's Model configuration");

    /// <summary>The next local replica of model <paramref name="id"/> (null: the first configured), round robin: each has its
    /// own batcher and queue. A model this silo does not serve cannot run here (not retried).</summary>
    public IModelGrain Next(string? id = null)
    {
        if (Models.Count == 0) throw new InvalidOperationException("this silo hosts no model (Model:Enabled is false)");
        if (!byId.TryGetValue(id ?? Models[0].Id, out var replicas))
            throw new NotSupportedException($"this silo does not serve model '{id}'");
        return grains.GetGrain<IModelGrain>(replicas.Next());
    }

    private sealed class Replicas(string[] keys)
    {
        private int next = -1;
        public string[] Keys { get; } = keys;
        public string Next() => Keys[(int)((uint)Interlocked.Increment(ref next) % (uint)Keys.Length)];
    }
}
