using System.CommandLine;
using Spectre.Console;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>
/// Where a command writes: results (paths, captions, tables) to stdout so they pipe cleanly; progress and notes to
/// stderr. Progress is animated only when stderr is an interactive terminal, else plain lines for logs.
/// </summary>
internal sealed class Terminal
{
    // Wide enough that tensor tables never wrap when written to a file or pipe.
    private const int RedirectedWidth = 240;

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    /// <summary>stderr is an interactive terminal: live progress bars instead of lines.</summary>
    public bool Animated { get; }
    /// <summary>Spectre console over stdout, for tables.</summary>
    public IAnsiConsole OutConsole { get; }

    private Terminal(TextWriter stdout, TextWriter stderr)
    {
        Out = stdout;
        Error = stderr;
        Animated = IsInteractive(stderr, System.Console.Error, System.Console.IsErrorRedirected);
        OutConsole = CreateConsole(stdout, IsInteractive(stdout, System.Console.Out, System.Console.IsOutputRedirected));
    }

    /// <summary>The writers System.CommandLine was invoked with (the process's, or a test's).</summary>
    public static Terminal From(ParseResult parse) =>
        new(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);

    public void Note(string line) => Error.WriteLine(line);

    public ProgressView Progress() =>
        Animated ? new LiveProgressView(CreateConsole(Error, interactive: true)) : new PlainProgressView(Error);

    private static bool IsInteractive(TextWriter writer, TextWriter processWriter, bool redirected) =>
        ReferenceEquals(writer, processWriter) && !redirected
        && Environment.GetEnvironmentVariable("TERM") is not "dumb";

    private static IAnsiConsole CreateConsole(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
