using FlowTok.Cli.Tests.Infrastructure;
using FlowTok.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Cli.Tests;

public sealed class ConvertCommandTests
{
    [Fact]
    public async Task PickleBecomesSafetensorsWithEqualTensors()
    {
        using var temp = new TempDirectory();
        var input = ReferenceFixtures.PathOf("flowtok.pth");
        var output = temp.File("flowtok.safetensors");

        var result = await FlowtokCli.RunAsync("convert", input, output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(output, result.Stdout);
        Assert.Equal(CheckpointFormat.Safetensors, StateDict.DetectFormat(output));
        using var scope = torch.NewDisposeScope();
        var original = StateDict.Read(input);
        var converted = StateDict.Read(output);
        Assert.Equal(original.Keys.Order(), converted.Keys.Order());
        Assert.All(original, kv =>
        {
            Assert.Equal(kv.Value.dtype, converted[kv.Key].dtype);
            Assert.Equal(kv.Value.shape, converted[kv.Key].shape);
            Assert.True(kv.Value.eq(converted[kv.Key]).all().item<bool>(), $"{kv.Key} differs");
        });
    }

    [Fact]
    public async Task DtypeCastsFloatingPointTensors()
    {
        using var temp = new TempDirectory();
        var input = ReferenceFixtures.PathOf("flowtitok.bin");
        var output = temp.File("flowtitok.bf16.safetensors");

        var result = await FlowtokCli.RunAsync("convert", input, output, "--dtype", "bf16");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var scope = torch.NewDisposeScope();
        var original = StateDict.Read(input);
        var converted = StateDict.Read(output);
        Assert.All(original, kv =>
        {
            var cast = converted[kv.Key];
            Assert.Equal(kv.Value.is_floating_point() ? ScalarType.BFloat16 : kv.Value.dtype, cast.dtype);
            var expected = kv.Value.is_floating_point() ? kv.Value.to(ScalarType.BFloat16) : kv.Value;
            Assert.True(expected.eq(cast).all().item<bool>(), $"{kv.Key} differs");
        });
    }

    [Fact]
    public async Task OutputMustBeSafetensors()
    {
        using var temp = new TempDirectory();
        var result = await FlowtokCli.RunAsync("convert", ReferenceFixtures.PathOf("flowtok.pth"), temp.File("out.pth"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(".safetensors", result.SingleError());
        Assert.False(File.Exists(temp.File("out.pth")));
    }
}
