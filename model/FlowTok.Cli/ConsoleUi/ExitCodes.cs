namespace FlowTok.Cli.ConsoleUi;

/// <summary>Process exit codes of <c>flowtok</c>.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    /// <summary>128 + SIGINT, what shells report for a command stopped by Ctrl+C.</summary>
    public const int Cancelled = 130;
}
