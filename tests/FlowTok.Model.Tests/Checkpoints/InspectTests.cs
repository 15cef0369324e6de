using System.IO.Compression;
using FlowTok.Model.Checkpoints;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Checkpoints;

public sealed class InspectTests
{
    [Theory]
    [InlineData("flowtok.safetensors", CheckpointComponent.FlowTok)]
    [InlineData("flowtok.pth", CheckpointComponent.FlowTok)]
    [InlineData("flowtitok.safetensors", CheckpointComponent.FlowTiTok)]
    [InlineData("flowtitok.bin", CheckpointComponent.FlowTiTok)]
    [InlineData("clip_text.openai.safetensors", CheckpointComponent.ClipTextOpenAi)]
    [InlineData("clip_text.hf.safetensors", CheckpointComponent.ClipTextHf)]
    public void InspectRecognisesEachFixturesComponent(string file, string component)
    {
        Assert.Equal(component, StateDict.Inspect(ReferenceFixtures.PathOf(file)).Component);
    }

    [Theory]
    [InlineData("flowtok.safetensors", CheckpointFormat.Safetensors)]
    [InlineData("flowtok.pth", CheckpointFormat.TorchZipPickle)]
    [InlineData("flowtitok.bin", CheckpointFormat.TorchZipPickle)]
    [InlineData("clip_text.hf.safetensors", CheckpointFormat.Safetensors)]
    public void InspectDescribesExactlyWhatReadLoads(string file, CheckpointFormat format)
    {
        using var scope = NewDisposeScope();
        var path = ReferenceFixtures.PathOf(file);

        var info = StateDict.Inspect(path);
        var tensors = StateDict.Read(path);

        Assert.Equal(format, info.Format);
        Assert.Equal(tensors.Count, info.TensorCount);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), info.Tensors.Select(t => t.Name));
        foreach (var entry in info.Tensors)
        {
            Assert.Equal(tensors[entry.Name].dtype, entry.DType);
            Assert.Equal(tensors[entry.Name].shape, entry.Shape);
        }
        Assert.Equal(tensors.Values.Sum(t => t.numel()), info.ParameterCount);
        Assert.Equal(tensors.Values.Sum(t => t.numel() * t.element_size()), info.TotalBytes);
    }

    [Fact]
    public void InspectOfAPickleReadsNoTensorData()
    {
        using var temp = new TempDirectory();
        var original = ReferenceFixtures.PathOf("flowtok.pth");
        var hollow = temp.File("hollow.pth");
        // Same pickle, every tensor storage emptied: only a reader that skips tensor bytes can describe it.
        using (var source = ZipFile.OpenRead(original))
        using (var target = ZipFile.Open(hollow, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var output = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                if (!entry.FullName.Contains("/data/", StringComparison.Ordinal))
                {
                    using var input = entry.Open();
                    input.CopyTo(output);
                }
            }
        }

        var expected = StateDict.Inspect(original);
        var actual = StateDict.Inspect(hollow);

        Assert.Equal(expected.Tensors.Select(t => t.ToString()), actual.Tensors.Select(t => t.ToString()));
        Assert.Equal(CheckpointComponent.FlowTok, actual.Component);
        var error = Assert.Throws<InvalidDataException>(() => StateDict.Read(hollow));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void UnrelatedTensorNamesAreAnUnknownComponentAndMetadataIsReported()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var path = temp.File("other.safetensors");
        StateDict.WriteSafetensors(path, new Dictionary<string, Tensor> { ["backbone.conv1.weight"] = randn(2, 2) },
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "not a FlowTok part" });

        var info = StateDict.Inspect(path);

        Assert.Equal(CheckpointComponent.Unknown, info.Component);
        Assert.Equal("not a FlowTok part", info.Metadata["note"]);
    }
}
