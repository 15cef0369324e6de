using FlowTok.Model.Checkpoints;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Checkpoints;

public sealed class ConvertTests
{
    [Fact]
    public void ConvertRewritesAPickleAsIdenticalSafetensors()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var output = temp.File("flowtitok.safetensors");

        var info = StateDict.Convert(ReferenceFixtures.PathOf("flowtitok.bin"), output);

        Assert.Equal(CheckpointFormat.Safetensors, info.Format);
        Assert.Equal(CheckpointComponent.FlowTiTok, info.Component);
        Assert.Equal("pt", info.Metadata["format"]);
        TensorAssert.Identical(StateDict.Read(ReferenceFixtures.PathOf("flowtitok.safetensors")), StateDict.Read(output));
    }

    [Fact]
    public void ConvertCanChangeTheDtype()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        var output = temp.File("flowtok-bf16.safetensors");

        var info = StateDict.Convert(ReferenceFixtures.PathOf("flowtok.pth"), output, ScalarType.BFloat16);

        Assert.All(info.Tensors, t => Assert.Equal(ScalarType.BFloat16, t.DType));
        var expected = StateDict.ConvertDtype(StateDict.Read(ReferenceFixtures.PathOf("flowtok.safetensors")), ScalarType.BFloat16);
        TensorAssert.Identical(expected, StateDict.Read(output));
    }
}
