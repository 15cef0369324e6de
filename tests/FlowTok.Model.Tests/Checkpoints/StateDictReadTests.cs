using System.Collections;
using System.IO.Compression;
using FlowTok.Model.Checkpoints;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Checkpoints;

public sealed class StateDictReadTests
{
    [Theory]
    [InlineData("flowtok.safetensors", "flowtok.pth")]
    [InlineData("flowtitok.safetensors", "flowtitok.bin")]
    public void PickleAndSafetensorsFixturesHoldIdenticalTensors(string safetensors, string pickle)
    {
        using var scope = NewDisposeScope();

        var fromSafetensors = StateDict.Read(ReferenceFixtures.PathOf(safetensors));
        var fromPickle = StateDict.Read(ReferenceFixtures.PathOf(pickle));

        Assert.NotEmpty(fromSafetensors);
        TensorAssert.Identical(fromSafetensors, fromPickle);
    }

    [Fact]
    public void FormatIsDetectedFromContentNotExtension()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var pickleNamedSafetensors = temp.File("weights.safetensors");
        var safetensorsNamedPth = temp.File("weights.pth");
        File.Copy(ReferenceFixtures.PathOf("flowtok.pth"), pickleNamedSafetensors);
        File.Copy(ReferenceFixtures.PathOf("flowtok.safetensors"), safetensorsNamedPth);

        Assert.Equal(CheckpointFormat.TorchZipPickle, StateDict.DetectFormat(pickleNamedSafetensors));
        Assert.Equal(CheckpointFormat.Safetensors, StateDict.DetectFormat(safetensorsNamedPth));
        TensorAssert.Identical(StateDict.Read(safetensorsNamedPth), StateDict.Read(pickleNamedSafetensors));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("state_dict")]
    [InlineData("ema")]
    public void StateDictNestedUnderOneKeyIsUnwrapped(string key)
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var expected = StateDict.Read(ReferenceFixtures.PathOf("flowtok.safetensors"));
        var path = temp.File("checkpoint.pth");
        WritePickle(path, new Hashtable { [key] = ToHashtable(expected), ["epoch"] = 7, ["lr"] = 1e-4 });

        TensorAssert.Identical(expected, StateDict.Read(path));
    }

    [Fact]
    public void Bf16PickleIsReadAsBf16()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var expected = StateDict.ConvertDtype(StateDict.Read(ReferenceFixtures.PathOf("flowtitok.bin")), ScalarType.BFloat16);
        var path = temp.File("flowtitok-bf16.bin");
        WritePickle(path, ToHashtable(expected));

        var actual = StateDict.Read(path);

        Assert.All(actual.Values, t => Assert.Equal(ScalarType.BFloat16, t.dtype));
        TensorAssert.Identical(expected, actual);
    }

    [Fact]
    public void SeveralNestedStateDictsAreAmbiguousUnlessOneIsNamed()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var model = StateDict.Read(ReferenceFixtures.PathOf("flowtok.safetensors"));
        var ema = model.ToDictionary(kv => kv.Key, kv => kv.Value * 0.5f);
        var path = temp.File("train-state.pth");
        WritePickle(path, new Hashtable { ["model"] = ToHashtable(model), ["ema"] = ToHashtable(ema), ["epoch"] = 3 });

        var error = Assert.Throws<InvalidDataException>(() => StateDict.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("model (dict,", error.Message);
        Assert.Contains("ema (dict,", error.Message);
        Assert.Contains("epoch", error.Message);

        TensorAssert.Identical(ema, StateDict.Read(path, nestedKey: "ema"));
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-checkpoint-{Guid.NewGuid():N}.pth");

        var error = Assert.Throws<FileNotFoundException>(() => StateDict.Read(path));

        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void NonCheckpointFileIsRejectedWithAClearError()
    {
        using var temp = new TempDirectory();
        var text = temp.File("notes.pth");
        File.WriteAllText(text, "these are not the weights you are looking for");
        var zip = temp.File("archive.bin");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            using (var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open()))
                writer.Write("a zip, but not from torch.save");

        foreach (var path in new[] { text, zip })
        {
            Assert.Equal(CheckpointFormat.Unknown, StateDict.DetectFormat(path));
            var error = Assert.Throws<InvalidDataException>(() => StateDict.Read(path));
            Assert.Equal($"{path} is neither safetensors nor a PyTorch zip checkpoint", error.Message);
        }
    }

    [Fact]
    public void LegacyTorchPickleIsRejectedWithResaveAdvice()
    {
        using var temp = new TempDirectory();
        var path = temp.File("old.pth");
        // What torch.save(..., _use_new_zipfile_serialization=False) writes first: protocol 2, then the magic number.
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80]);

        Assert.Equal(CheckpointFormat.LegacyTorchPickle, StateDict.DetectFormat(path));
        var error = Assert.Throws<NotSupportedException>(() => StateDict.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("_use_new_zipfile_serialization=True", error.Message);
    }

    static Hashtable ToHashtable(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var table = new Hashtable();
        foreach (var (name, tensor) in tensors)
            table[name] = tensor;
        return table;
    }

    // PyBridge's pickler writes the same zip layout as torch.save, including nested dicts.
    static void WritePickle(string path, Hashtable content)
    {
        using var stream = File.Create(path);
        PyTorchPickler.PickleStateDict(stream, content, leaveOpen: true);
    }
}
