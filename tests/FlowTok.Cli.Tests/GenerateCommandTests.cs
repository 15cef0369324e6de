using System.Text.RegularExpressions;
using FlowTok.Cli.Tests.Infrastructure;
using FlowTok.Model.Flow;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Cli.Tests;

public sealed class GenerateCommandTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private ReferenceModel Model => fixture.Model;

    private Task<CliResult> Generate(string output, params string[] extra) =>
        FlowtokCli.RunAsync([
            "generate", Model.Prompts[0], Model.Prompts[1], "--model", fixture.TextToImage, "--output", output,
            "--count", "2", "--seed", "7", "--batch-size", "3", "--threads", "2", .. extra,
        ]);

    [Fact]
    public async Task WritesCountPngsPerPromptAtTheModelsImageSize()
    {
        using var temp = new TempDirectory();
        var result = await Generate(temp.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        var paths = result.StdoutLines;
        Assert.Equal(4, paths.Length);
        Assert.Contains(result.StderrLines, l => l.StartsWith("seed 7"));
        foreach (var path in paths)
        {
            Assert.True(File.Exists(path), path);
            using var image = Image.Load<Rgb24>(path);
            Assert.Equal(Model.ImageSize, image.Width);
            Assert.Equal(Model.ImageSize, image.Height);
        }
        // <index>-<seed>-<slug>.png; image i of a prompt uses seed + i.
        var names = paths.Select(Path.GetFileName).ToArray();
        Assert.Matches(@"^00000-7-[a-z0-9-]+\.png$", names[0]);
        Assert.Matches(@"^00001-8-[a-z0-9-]+\.png$", names[1]);
        Assert.Matches(@"^00002-7-[a-z0-9-]+\.png$", names[2]);
        Assert.Matches(@"^00003-8-[a-z0-9-]+\.png$", names[3]);
        Assert.EndsWith($"-{Slug(Model.Prompts[1])}.png", names[3]);
    }

    [Fact]
    public async Task SameSeedGivesIdenticalBytesAndNewRunsDoNotOverwrite()
    {
        using var temp = new TempDirectory();
        var first = await Generate(temp.Path);
        var second = await Generate(temp.Path);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Empty(first.StdoutLines.Intersect(second.StdoutLines));
        Assert.StartsWith("00004-", Path.GetFileName(second.StdoutLines[0]));
        foreach (var (a, b) in first.StdoutLines.Zip(second.StdoutLines))
            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        // Different seeds of the same prompt give different images.
        Assert.NotEqual(File.ReadAllBytes(first.StdoutLines[0]), File.ReadAllBytes(first.StdoutLines[1]));
    }

    [Fact]
    public async Task MissingModelDirectoryIsOneClearError()
    {
        using var temp = new TempDirectory();
        var result = await FlowtokCli.RunAsync("generate", "a cat", "--model", temp.File("no-such-model"), "--output", temp.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.StderrLines);
        Assert.Contains("no-such-model", result.SingleError());
    }

    [Theory]
    [InlineData("--steps", "0", "--steps")]
    [InlineData("--guidance", "-1", "--guidance")]
    [InlineData("--text-noise", "-0.5", "--text-noise")]
    [InlineData("--text-noise", "5", "--text-noise")]
    [InlineData("--count", "0", "--count")]
    [InlineData("--dtype", "fp64", "fp64")]
    public async Task BadOptionValueFailsBeforeLoading(string option, string value, string named)
    {
        using var temp = new TempDirectory();
        var result = await FlowtokCli.RunAsync("generate", "a cat", "--model", fixture.TextToImage, "--output", temp.Path, option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(named, result.SingleError());
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task CheckpointNotMatchingTheConfigNamesTheKeys()
    {
        using var temp = new TempDirectory();
        var deeper = Model.FlowConfig with { Depth = Model.FlowConfig.Depth + 1 };
        var model = Model.WriteModelDirectory(temp.File("model"), deeper).Root;

        var result = await FlowtokCli.RunAsync("generate", "a cat", "--model", model, "--output", temp.File("out"));

        Assert.Equal(1, result.ExitCode);
        var error = result.SingleError();
        Assert.Contains("missing", error);
        Assert.Contains($"blocks.{Model.FlowConfig.Depth}.", error);
        Assert.Contains("flowtok.pth", error);
        Assert.Empty(result.StdoutLines);
    }

    [Fact]
    public async Task CtrlCDuringSamplingExits130()
    {
        using var temp = new TempDirectory();
        using var cts = new CancellationTokenSource();
        // Cancel as soon as loading has finished, i.e. while the first batch is being sampled.
        using var stderr = new TriggerWriter("loaded in", cts.Cancel);

        var result = await FlowtokCli.RunAsync(
            ["generate", "a cat", "--model", fixture.TextToImage, "--output", temp.Path, "--steps", "50"], cts.Token, stderr);

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("cancelled", result.StderrLines);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    private static string Slug(string prompt) => Regex.Replace(prompt.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');

    /// <summary>Captures text and calls <paramref name="action"/> once a line containing <paramref name="trigger"/> is written.</summary>
    private sealed class TriggerWriter(string trigger, Action action) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(trigger, StringComparison.Ordinal) == true) action();
        }
    }
}
