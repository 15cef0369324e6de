using System.CommandLine;
using FlowTok.Cli.Commands;
using FlowTok.Cli.ConsoleUi;

namespace FlowTok.Cli;

/// <summary>
/// `flowtok`: FlowTok on the command line. This file is the table of contents: one command per file in Commands/,
/// parsing, error reporting and Ctrl+C in <see cref="CommandRunner"/>.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        try
        {
            FlowTok.Model.Nn.LibTorchRuntime.LoadConfigured();
        }
        catch (FlowTok.Model.Nn.LibTorchException e)
        {
            System.Console.Error.WriteLine($"error: {e.Message}");
            return Task.FromResult(1);
        }
        return CommandRunner.RunWithCtrlCAsync(ct => RunAsync(args, System.Console.Out, System.Console.Error, ct));
    }

    /// <summary>Runs one command line in-process and returns its exit code (0 ok, 1 failure, 2 usage, 130 cancelled).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        CommandRunner.RunAsync(BuildRootCommand(), args, stdout, stderr, cancellationToken);

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("FlowTok: text-to-image and image-to-text by flow matching between 1D text and image tokens");
        root.Options.Add(CommandRunner.CreateVerboseOption());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(CaptionCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(AssembleCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
