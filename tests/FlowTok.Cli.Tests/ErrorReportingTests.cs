using FlowTok.Cli.Tests.Infrastructure;

namespace FlowTok.Cli.Tests;

public sealed class ErrorReportingTests
{
    [Fact]
    public async Task VerboseAddsTheStackTrace()
    {
        var path = ReferenceFixtures.PathOf("config.json");
        var quiet = await FlowtokCli.RunAsync("inspect", path);
        var verbose = await FlowtokCli.RunAsync("inspect", path, "--verbose");

        Assert.Equal(1, quiet.ExitCode);
        Assert.Equal(1, verbose.ExitCode);
        Assert.Single(quiet.StderrLines);
        Assert.Equal(quiet.ErrorLines, verbose.ErrorLines);
        Assert.Contains(verbose.StderrLines, l => l.TrimStart().StartsWith("at FlowTok.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData("inspect")]
    [InlineData("generate", "--steps", "abc", "a cat")]
    public async Task UsageErrorsExit2WithOneLine(params string[] args)
    {
        var result = await FlowtokCli.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help", result.SingleError());
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task HelpListsEveryCommand()
    {
        var result = await FlowtokCli.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "generate", "caption", "inspect", "convert", "bench" })
            Assert.Contains(command, result.Stdout);
    }
}
