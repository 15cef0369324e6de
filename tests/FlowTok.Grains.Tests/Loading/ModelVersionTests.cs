using FlowTok.Grains.Models.Loading;
using FlowTok.Model.Loading;

namespace FlowTok.Grains.Tests.Loading;

/// <summary>A model directory's version names it and changes with anything that changes what it computes.</summary>
public sealed class ModelVersionTests
{
    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    [Fact]
    public void ACopyHasTheSameVersionAndTheModelsName()
    {
        using var copy = CopyOfBundledModel();
        var original = ModelVersion.Of(ModelDirectory.Open(BundledModel));
        Assert.Equal(original, ModelVersion.Of(ModelDirectory.Open(copy.Path)));
        var name = ModelDirectory.Open(BundledModel).Index.Name;
        Assert.Matches($"^{name}@[0-9a-f]{{12}}$", original);
    }

    [Fact]
    public void AChangedComponentConfigChangesTheVersion()
    {
        using var copy = CopyOfBundledModel();
        var before = ModelVersion.Of(ModelDirectory.Open(copy.Path));
        var config = Path.Combine(ModelDirectory.Open(copy.Path).ComponentFolder(ModelIndex.Roles.Flow), ModelDirectory.ConfigFileName);
        File.AppendAllText(config, "\n");
        Assert.NotEqual(before, ModelVersion.Of(ModelDirectory.Open(copy.Path)));
    }

    [Fact]
    public void WeightsOfAnotherSizeChangeTheVersion()
    {
        using var copy = CopyOfBundledModel();
        var directory = ModelDirectory.Open(copy.Path);
        var before = ModelVersion.Of(directory);
        using (var weights = File.OpenWrite(directory.WeightsPath(ModelIndex.Roles.Flow))) weights.SetLength(weights.Length + 1);
        Assert.NotEqual(before, ModelVersion.Of(ModelDirectory.Open(copy.Path)));
    }

    private static TempDirectory CopyOfBundledModel()
    {
        var copy = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(BundledModel, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(BundledModel, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
