using System.CommandLine;

// Not "FlowTok.Cli.Console": a namespace of that name would shadow System.Console in every FlowTok.Cli.* file.
namespace FlowTok.Cli.ConsoleUi;

/// <summary>
/// Parses and invokes a command line. Every failure becomes ONE line <c>error: ...</c> on stderr (the stack trace
/// only with <c>--verbose</c>): usage errors exit 2, failures 1, Ctrl+C 130.
/// </summary>
internal static class CommandRunner
{
    public const string VerboseOptionName = "--verbose";

    public static Option<bool> CreateVerboseOption() => new(VerboseOptionName, "-v")
    {
        Description = "Show stack traces of errors",
        Recursive = true,
    };

    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine would print the whole help after the errors; one line and a pointer is easier to read.
            var messages = string.Join("; ", parse.Errors.Select(e => ErrorReport.OneLine(e.Message)).Distinct());
            stderr.WriteLine($"error: {messages} (see '{CommandPath(parse)} --help')");
            return ExitCodes.Usage;
        }

        bool verbose = parse.GetResult(VerboseOptionName) is System.CommandLine.Parsing.OptionResult v && v.GetValueOrDefault<bool>();
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // We report exceptions ourselves (one line) and handle Ctrl+C ourselves (RunWithCtrlCAsync).
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            ErrorReport.Write(stderr, e, verbose);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> with a token that the first Ctrl+C cancels (sampling stops at the next step and
    /// the command exits 130); a second Ctrl+C terminates the process at once.
    /// </summary>
    public static async Task<int> RunWithCtrlCAsync(Func<CancellationToken, Task<int>> run)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        System.Console.CancelKeyPress += onCancel;
        try
        {
            return await run(cts.Token).ConfigureAwait(false);
        }
        finally
        {
            System.Console.CancelKeyPress -= onCancel;
        }
    }

    // "flowtok generate" for the help pointer; the root's own name is the host executable (e.g. testhost in tests).
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            if (result.Command is not RootCommand) names.Insert(0, result.Command.Name);
        return string.Join(" ", ["flowtok", .. names]);
    }
}
