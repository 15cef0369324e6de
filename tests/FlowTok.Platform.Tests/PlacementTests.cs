using FlowTok.Contracts.Models;
using FlowTok.Grains.Models;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>Model grains live only on the silo that owns their device.</summary>
[Collection(PlatformCollection.Name)]
public sealed class PlacementTests(PlatformFixture platform)
{
    [Fact]
    public async Task AModelGrainOfAnotherSiloIsNeverActivatedHere()
    {
        var grains = platform.Services.GetRequiredService<IGrainFactory>();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => grains.GetGrain<IModelGrain>("node-elsewhere/cuda:0").DescribeAsync());
        Assert.Contains("no active silo named 'node-elsewhere'", error.ToString());
    }

    [Fact]
    public async Task TheLocalModelGrainIsKeyedBySiloAndDevice()
    {
        var keys = platform.Services.GetRequiredService<LocalModels>().Keys;
        Assert.Equal(["test-node/cpu:0"], keys);
        var stats = await platform.Services.GetRequiredService<IGrainFactory>().GetGrain<IModelGrain>(keys[0]).GetStatsAsync();
        Assert.Equal("cpu:0", stats.Device);
        Assert.True(stats.Model.TextToImage);
    }
}
