namespace FlowTok.Contracts.Jobs;

/// <summary>
/// Why an item failed, in the words a tenant is shown: a stable code and a fixed public message. A job stores only these
/// codes; what went wrong inside (an exception's text, which can name files, devices, other rows) is logged by the silo
/// with the job id and never stored with the job, so it can reach no tenant.
/// </summary>
public static class ItemFailures
{
    public const string Cancelled = "cancelled";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string TimedOut = "timed_out";
    public const string InputUnavailable = "input_unavailable";
    public const string InvalidInput = "invalid_input";
    public const string Unsupported = "unsupported";
    public const string Internal = "internal_error";

    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        [Cancelled] = "the item was cancelled",
        [DeadlineExceeded] = "the item was not started before its deadline (the platform was busy); try again later",
        [TimedOut] = "the job timed out before the item finished",
        [InputUnavailable] = "the uploaded image is not available (it expired or was never stored)",
        [InvalidInput] = "the uploaded image could not be used",
        [Unsupported] = "the served model cannot do this",
        [Internal] = "the item failed inside the platform; the failure was logged with the job id",
    };

    /// <summary>Every code, for documentation and validation.</summary>
    public static IReadOnlyCollection<string> Codes => Messages.Keys;

    /// <summary>The code itself when it is one of <see cref="Codes"/>; anything else (free text from an older silo, an
    /// exception's message) becomes <see cref="Internal"/>.</summary>
    public static string Normalize(string? code) => code is not null && Messages.ContainsKey(code) ? code : Internal;

    public static string Message(string? code) => Messages[Normalize(code)];

    /// <summary>"item 0: message (code); item 2: ..." over the failed items in index order.</summary>
    public static string Describe(IEnumerable<KeyValuePair<int, string>> failures) =>
        string.Join("; ", failures.OrderBy(f => f.Key).Select(f => $"item {f.Key}: {Message(f.Value)} ({Normalize(f.Value)})"));
}
