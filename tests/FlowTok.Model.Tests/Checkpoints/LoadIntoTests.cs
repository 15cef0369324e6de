using FlowTok.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Checkpoints;

public sealed class LoadIntoTests
{
    // state_dict names: 0.weight [3,4], 0.bias [3], 2.weight [2,3], 2.bias [2]
    static nn.Module Model() => nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2));

    [Fact]
    public void MatchingCheckpointLoadsEveryTensor()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var checkpoint = model.state_dict().ToDictionary(kv => kv.Key, kv => randn_like(kv.Value));

        var report = StateDict.LoadInto(model, checkpoint);

        Assert.True(report.IsExactMatch);
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], report.Loaded);
        TensorAssert.Identical(checkpoint, model.state_dict());
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void StrictLoadNamesEveryMissingUnexpectedAndMisShapedKeyAndLoadsNothing()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var error = Assert.Throws<CheckpointMismatchException>(() => StateDict.LoadInto(model, MismatchedCheckpoint()));

        Assert.Equal(
            "checkpoint does not match Sequential: 1 missing (2.bias), 2 unexpected (3.weight, extra.scale), "
            + "1 mis-shaped (0.weight: checkpoint [5,4] vs model [3,4])",
            error.Message);
        Assert.Equal(["2.bias"], error.MissingKeys);
        Assert.Equal(["3.weight", "extra.scale"], error.UnexpectedKeys);
        var misShaped = Assert.Single(error.MisShapedKeys);
        Assert.Equal("0.weight", misShaped.Name);
        Assert.Equal([5L, 4L], misShaped.CheckpointShape);
        Assert.Equal([3L, 4L], misShaped.ModelShape);
        TensorAssert.Identical(before, model.state_dict());
    }

    [Fact]
    public void NonStrictLoadReportsMismatchesAndLoadsWhatMatches()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var checkpoint = MismatchedCheckpoint();
        var weightBefore = model.state_dict()["0.weight"].clone();

        var report = StateDict.LoadInto(model, checkpoint, strict: false);

        Assert.False(report.IsExactMatch);
        Assert.Equal(["0.bias", "2.weight"], report.Loaded);
        Assert.Equal(["2.bias"], report.Missing);
        Assert.Equal(["3.weight", "extra.scale"], report.Unexpected);
        Assert.Equal("0.weight", Assert.Single(report.MisShaped).Name);
        var state = model.state_dict();
        TensorAssert.Identical(checkpoint["0.bias"], state["0.bias"], "0.bias");
        TensorAssert.Identical(checkpoint["2.weight"], state["2.weight"], "2.weight");
        TensorAssert.Identical(weightBefore, state["0.weight"], "0.weight");
    }

    [Fact]
    public void Bf16CheckpointLoadsIntoFp32ModuleAndBackAgain()
    {
        using var scope = NewDisposeScope();
        var fp32Model = Model();
        var bf16Checkpoint = fp32Model.state_dict().ToDictionary(kv => kv.Key, kv => randn_like(kv.Value).to(ScalarType.BFloat16));

        StateDict.LoadInto(fp32Model, bf16Checkpoint);

        foreach (var (name, parameter) in fp32Model.state_dict())
            TensorAssert.Identical(bf16Checkpoint[name].to(ScalarType.Float32), parameter, name);

        var bf16Model = Model().to(ScalarType.BFloat16);
        StateDict.LoadInto(bf16Model, fp32Model.state_dict());

        TensorAssert.Identical(bf16Checkpoint, bf16Model.state_dict());
    }

    static Dictionary<string, Tensor> MismatchedCheckpoint() => new()
    {
        ["0.weight"] = randn(5, 4),
        ["0.bias"] = randn(3),
        ["2.weight"] = randn(2, 3),
        ["3.weight"] = randn(2, 2),
        ["extra.scale"] = randn(1),
    };
}
