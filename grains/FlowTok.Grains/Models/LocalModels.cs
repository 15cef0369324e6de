using FlowTok.Contracts.Models;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace FlowTok.Grains.Models;

/// <summary>The model grains of THIS silo ("{silo}/{device}" for each configured device), handed work in turn.</summary>
public sealed class LocalModels(ILocalSiloDetails silo, IOptions<ModelHostingOptions> options, IGrainFactory grains)
{
    private int next = -1;

    public IReadOnlyList<string> Keys { get; } =
        options.Value.EffectiveDevices.Select(device => ModelGrainKey.For(silo.Name, device)).ToArray();

    public bool Any => Keys.Count > 0;

    /// <summary>The next local replica (round robin: each has its own batcher and queue).</summary>
    public IModelGrain Next()
    {
        if (Keys.Count == 0) throw new InvalidOperationException("this silo hosts no model (Model:Enabled is false)");
        int i = (int)((uint)Interlocked.Increment(ref next) % (uint)Keys.Count);
        return grains.GetGrain<IModelGrain>(Keys[i]);
    }
}
