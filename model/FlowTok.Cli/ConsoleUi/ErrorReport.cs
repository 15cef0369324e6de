using System.Reflection;
using FlowTok.Model.Checkpoints;
using FlowTok.Model.Pipelines;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>A failure the CLI itself detected (no model found, bad combination of inputs): reported as its message alone.</summary>
internal sealed class CliException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Turns an exception into the single <c>error: ...</c> line users see.</summary>
internal static class ErrorReport
{
    /// <summary>Failures caused by the user's files or values; anything else is a bug and says which exception it was.</summary>
    public static bool IsExpected(Exception e) => e is CliException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or NotSupportedException or CheckpointMismatchException or InvalidImageException
        or ArgumentException or UnauthorizedAccessException or IOException;

    public static void Write(TextWriter stderr, Exception e, bool verbose)
    {
        e = Unwrap(e);
        var message = OneLine(Message(e));
        stderr.WriteLine(IsExpected(e)
            ? $"error: {message}"
            : $"error: {e.GetType().Name}: {message}{(verbose ? "" : " (--verbose shows the stack trace)")}");
        if (verbose) stderr.WriteLine(e.ToString());
    }

    /// <summary>Collapses line breaks so a long message (e.g. every mismatched key) stays one logical line.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    // ArgumentException appends " (Parameter 'x')" and ArgumentOutOfRangeException "Actual value was ..."; the model
    // library's messages already say what was wrong and with which value.
    private static string Message(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: not null } range)
        {
            var actual = $"Actual value was {range.ActualValue}.";
            var at = message.LastIndexOf(actual, StringComparison.Ordinal);
            if (at >= 0) message = message[..at];
        }
        if (e is ArgumentException { ParamName: { } name })
        {
            var suffix = $" (Parameter '{name}')";
            var at = message.LastIndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) message = message.Remove(at, suffix.Length);
        }
        return message.Trim();
    }
}
