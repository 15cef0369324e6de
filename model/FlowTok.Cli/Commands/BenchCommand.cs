using System.CommandLine;

namespace FlowTok.Cli.Commands;

/// <summary>`flowtok bench`: throughput of the flow transformer and the whole pipeline (written separately).</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmark the flow transformer and the text-to-image pipeline");
}
