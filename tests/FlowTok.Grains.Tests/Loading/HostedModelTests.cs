using FlowTok.Grains.Models;
using FlowTok.Model.Loading;
using Microsoft.Extensions.Configuration;

namespace FlowTok.Grains.Tests.Loading;

/// <summary>Model:Served (several models, each on its own devices) and the one-entry form resolve to the models a silo serves.</summary>
public sealed class HostedModelTests
{
    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    private static ModelHostingOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ModelHostingOptions.Section).Get<ModelHostingOptions>()!;

    [Fact]
    public void TheOneEntryFormIsOneModelNamedByItsDirectory()
    {
        var model = Assert.Single(HostedModel.Resolve(Bind(new() { ["Model:Path"] = BundledModel, ["Model:Devices:0"] = "cpu:0", ["Model:Devices:1"] = "cpu:1" })));
        Assert.Equal("flowtok-shapes", model.Id); // models/default/model_index.json's name
        Assert.Equal(0, model.Position);
        Assert.Equal(["cpu:0", "cpu:1"], model.Devices);
        Assert.Equal(BundledModel, model.Options.Path);

        Assert.Equal("simulated", Assert.Single(HostedModel.Resolve(Bind(new() { ["Model:Devices:0"] = "sim:0" }))).Id);
        Assert.Equal("mine", Assert.Single(HostedModel.Resolve(Bind(new() { ["Model:Id"] = "mine", ["Model:Devices:0"] = "sim:0" }))).Id);
        Assert.Equal(["cpu:0"], Assert.Single(HostedModel.Resolve(Bind(new() { ["Model:Path"] = BundledModel }))).Devices);
        Assert.Empty(HostedModel.Resolve(Bind(new() { ["Model:Enabled"] = "false" })));
    }

    [Fact]
    public void ServedListsModelsInOrderEachWithItsDirectoryAndDevices()
    {
        var options = Bind(new()
        {
            ["Model:Path"] = "/ignored-when-served-is-set",
            ["Model:MaxBatchSize"] = "3",
            ["Model:Served:0:Path"] = BundledModel, ["Model:Served:0:Devices:0"] = "cpu:0",
            ["Model:Served:1:Path"] = "/some/dir", ["Model:Served:1:Id"] = "sketches", ["Model:Served:1:Devices:0"] = "sim:0", ["Model:Served:1:Devices:1"] = "sim:1",
        });
        var models = HostedModel.Resolve(options);
        Assert.Equal(["flowtok-shapes", "sketches"], models.Select(m => m.Id));
        Assert.Equal([0, 1], models.Select(m => m.Position));
        Assert.Equal(["sim:0", "sim:1"], models[1].Devices);
        Assert.Equal("/some/dir", models[1].Options.Path);
        Assert.Equal(3, models[1].Options.MaxBatchSize); // the other Model settings apply to every entry
        Assert.Equal(["cpu:0", "sim:0", "sim:1"], options.EffectiveDevices);
    }

    [Theory]
    [InlineData("a", "cpu:0", "a", "cpu:1", "model id 'a'")] // one id twice
    [InlineData("a", "sim:0", "b", "sim:0", "device 'sim:0'")] // one device for two models
    [InlineData("a b", "sim:0", "b", "sim:1", "model id 'a b'")] // not a queue name
    [InlineData("a", "sim:0", "b", "sim:1", "mixes simulated and real devices", "cpu:0")] // one model, two versions
    public void AnAmbiguousOrInvalidListStopsTheSiloWithTheReason(string id0, string device0, string id1, string device1, string reason, string? also0 = null)
    {
        Dictionary<string, string?> settings = new()
        {
            ["Model:Served:0:Id"] = id0, ["Model:Served:0:Devices:0"] = device0,
            ["Model:Served:1:Id"] = id1, ["Model:Served:1:Devices:0"] = device1,
        };
        if (also0 is not null) settings["Model:Served:0:Devices:1"] = also0;
        var options = Bind(settings);
        Assert.Contains(reason, Assert.Throws<InvalidOperationException>(() => HostedModel.Resolve(options)).Message);
    }
}
