using System.Diagnostics;
using FlowTok.Model.Loading;
using FlowTok.Model.Sampling;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>Progress as plain lines (redirected output, logs, CI): one per component, sampling at most about once a
/// second plus the end of every batch.</summary>
internal sealed class PlainProgressView(TextWriter writer) : ProgressView
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override T RunLoading<T>(IReadOnlyList<string> roles, Func<IProgress<LoadProgress>, T> load)
    {
        var clock = Stopwatch.StartNew();
        var result = load(new SyncProgress<LoadProgress>(p =>
            writer.WriteLine($"loading {p.Index}/{p.Count} {p.Role} ({p.File})")));
        writer.WriteLine($"loaded in {Format.Duration(clock.Elapsed)}");
        return result;
    }

    public override void Sampling(string what, int batches, int steps, Action<int, IProgress<SamplingProgress>> runBatch)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? lastLine = null;
        long total = (long)batches * steps, done = 0;
        for (int b = 0; b < batches; b++)
        {
            int batch = b;
            runBatch(b, new SyncProgress<SamplingProgress>(p =>
            {
                done++;
                if (p.Step < p.Steps && lastLine is { } last && clock.Elapsed - last < Interval) return;
                lastLine = clock.Elapsed;
                var eta = TimeSpan.FromTicks((long)(clock.Elapsed.Ticks * (double)(total - done) / done));
                writer.WriteLine($"{what}: batch {batch + 1}/{batches} step {p.Step}/{p.Steps} ({100.0 * done / total:F0}%, eta {Format.Duration(eta)})");
            }));
        }
        writer.WriteLine($"{what}: done in {Format.Duration(clock.Elapsed)}");
    }

    public override void Training(Action<IProgress<Model.Training.TrainingProgress>> run)
    {
        var last = System.Diagnostics.Stopwatch.StartNew();
        run(new SyncProgress<Model.Training.TrainingProgress>(p =>
        {
            // A line every few seconds keeps logs readable; the last step of a stage is always shown.
            if (last.Elapsed.TotalSeconds < 5 && p.Step != p.Steps && p.Step != 1) return;
            last.Restart();
            writer.WriteLine($"{p.Stage}: step {p.Step}/{p.Steps} {Describe(p)} elapsed {p.Elapsed:h\\:mm\\:ss} eta {p.Remaining:h\\:mm\\:ss}");
        }));
    }
}
