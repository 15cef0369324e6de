using System.Text.Json;
using FlowTok.Cli.Tests.Infrastructure;
using FlowTok.Model.Checkpoints;

namespace FlowTok.Cli.Tests;

public sealed class InspectCommandTests
{
    [Theory]
    [InlineData("flowtok.pth", CheckpointComponent.FlowTok, "torch_zip_pickle")]
    [InlineData("flowtok.safetensors", CheckpointComponent.FlowTok, "safetensors")]
    [InlineData("flowtitok.bin", CheckpointComponent.FlowTiTok, "torch_zip_pickle")]
    [InlineData("clip_text.openai.safetensors", CheckpointComponent.ClipTextOpenAi, "safetensors")]
    [InlineData("clip_text.hf.safetensors", CheckpointComponent.ClipTextHf, "safetensors")]
    public async Task JsonReportsComponentFormatAndEveryTensor(string file, string component, string format)
    {
        var path = ReferenceFixtures.PathOf(file);
        var result = await FlowtokCli.RunAsync("inspect", path, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        var tensors = StateDict.Read(path);
        try
        {
            Assert.Equal(component, root.GetProperty("component").GetString());
            Assert.Equal(format, root.GetProperty("format").GetString());
            Assert.Equal(tensors.Count, root.GetProperty("tensor_count").GetInt32());
            Assert.Equal(tensors.Count, root.GetProperty("tensors").GetArrayLength());
            Assert.Equal(tensors.Values.Sum(t => t.numel()), root.GetProperty("parameter_count").GetInt64());
            var first = root.GetProperty("tensors")[0];
            var name = first.GetProperty("name").GetString()!;
            Assert.Equal(tensors[name].shape, first.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public async Task SummaryListsFirstFortyTensorsUnlessAll()
    {
        var path = ReferenceFixtures.PathOf("flowtok.pth");
        var info = StateDict.Inspect(path);
        Assert.True(info.TensorCount > 40, "fixture expected to hold more than 40 tensors");

        var summary = await FlowtokCli.RunAsync("inspect", path);
        Assert.True(summary.ExitCode == 0, summary.ToString());
        Assert.Contains(summary.StdoutLines, l => l.StartsWith("component") && l.Contains(CheckpointComponent.FlowTok));
        Assert.Contains(summary.StdoutLines, l => l.StartsWith("tensors") && l.Contains(info.TensorCount.ToString()));
        Assert.Equal(40, info.Tensors.Count(t => summary.Stdout.Contains($" {t.Name} ")));
        Assert.Contains($"{info.TensorCount - 40} more tensors", summary.Stdout);

        var all = await FlowtokCli.RunAsync("inspect", path, "--all");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.All(info.Tensors, t => Assert.Contains($" {t.Name} ", all.Stdout));
    }

    [Fact]
    public async Task NonCheckpointFileIsOneClearError()
    {
        var result = await FlowtokCli.RunAsync("inspect", ReferenceFixtures.PathOf("config.json"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("neither safetensors nor a PyTorch zip checkpoint", result.SingleError());
    }

    [Fact]
    public async Task MissingFileIsOneClearError()
    {
        var result = await FlowtokCli.RunAsync("inspect", Path.Combine(ReferenceFixtures.Root, "no-such-file.pth"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not found", result.SingleError());
    }
}
