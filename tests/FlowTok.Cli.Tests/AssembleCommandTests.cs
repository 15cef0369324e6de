using System.Text.Json;
using FlowTok.Cli.Tests.Infrastructure;
using FlowTok.Model.Flow;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;

namespace FlowTok.Cli.Tests;

public sealed class AssembleCommandTests
{
    [Fact]
    public async Task PublishedStyleFilesBecomeAModelDirectoryThatGenerates()
    {
        using var temp = new TempDirectory();
        using var doc = JsonDocument.Parse(File.ReadAllText(ReferenceFixtures.PathOf("config.json")));
        var sizes = doc.RootElement.GetProperty("config");
        string Heads(string key) => sizes.GetProperty(key).GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dir = temp.File("assembled");

        var result = await FlowtokCli.RunAsync("assemble", dir,
            "--flowtok", ReferenceFixtures.PathOf("flowtok.pth"),
            "--image-tokenizer", ReferenceFixtures.PathOf("flowtitok.bin"),
            "--clip", ReferenceFixtures.PathOf("clip_text.hf.safetensors"),
            "--tokenizer", ReferenceFixtures.ClipMerges,
            "--clip-heads", Heads("clip_heads"), "--flow-heads", Heads("dit_heads"), "--text-vae-heads", Heads("tv_heads"),
            "--steps", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        var flow = ComponentConfig.Load<FlowTransformerConfig>(Path.Combine(dir, "flow", ModelDirectory.ConfigFileName));
        Assert.Equal(new ReferenceModel().FlowConfig, flow);
        Assert.Equal(3, ModelDirectory.Open(dir).Index.Defaults.Steps);

        var output = temp.File("out");
        var generated = await FlowtokCli.RunAsync("generate", "a red circle", "--model", dir, "--seed", "1", "-o", output);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Single(Directory.GetFiles(output, "*.png"));
    }

    [Fact]
    public async Task WrongFileForARoleIsOneClearError()
    {
        using var temp = new TempDirectory();

        var result = await FlowtokCli.RunAsync("assemble", temp.File("bad"),
            "--flowtok", ReferenceFixtures.PathOf("flowtitok.bin"),
            "--image-tokenizer", ReferenceFixtures.PathOf("flowtitok.bin"),
            "--clip", ReferenceFixtures.PathOf("clip_text.openai.safetensors"),
            "--tokenizer", ReferenceFixtures.ClipMerges);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not the expected component", result.SingleError());
    }
}
