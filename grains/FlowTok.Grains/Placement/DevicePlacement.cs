using FlowTok.Contracts.Models;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace FlowTok.Grains.Placement;

/// <summary>
/// Places a model grain keyed "{silo}/{device}" on the silo of that name and nowhere else: the device (and the weights
/// loaded onto it) belongs to one machine. Activation fails with a clear error while that silo is not in the cluster.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class DevicePlacement : PlacementStrategy
{
    public static DevicePlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as device-pinned (see <see cref="DevicePlacement"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DevicePlacementAttribute() : PlacementAttribute(DevicePlacement.Instance);

public sealed class DevicePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        var (silo, device) = ModelGrainKey.Parse(key);
        var members = membership.CurrentSnapshot.Members;
        foreach (var address in context.GetCompatibleSilos(target))
            if (members.TryGetValue(address, out var member) && member.Name == silo)
                return Task.FromResult(address);
        throw new OrleansException($"model grain '{key}': no active silo named '{silo}' (which owns device '{device}') in the cluster");
    }
}
