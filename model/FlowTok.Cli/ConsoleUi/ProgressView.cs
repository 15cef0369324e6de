using FlowTok.Model.Checkpoints;
using FlowTok.Model.Loading;
using FlowTok.Model.Sampling;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>
/// Shows the two long phases of a command: loading the model (one entry per component) and sampling (per step,
/// per batch, with an ETA). The work runs synchronously on the calling thread: TorchSharp dispose scopes are per thread.
/// </summary>
internal abstract class ProgressView
{
    /// <summary>Runs <paramref name="load"/>, showing each of <paramref name="roles"/> as it is read. A checkpoint that
    /// does not match its component is reported with the component and file it came from.</summary>
    public T Loading<T>(IReadOnlyList<string> roles, Func<IProgress<LoadProgress>, T> load)
    {
        LoadProgress? current = null;
        try
        {
            return RunLoading(roles, sink => load(new SyncProgress<LoadProgress>(p =>
            {
                current = p;
                sink.Report(p);
            })));
        }
        catch (CheckpointMismatchException e) when (current is { } at)
        {
            throw new CliException($"{at.Role} weights {at.File}: {e.Message}", e);
        }
    }

    /// <summary>Runs <paramref name="batches"/> batches of <paramref name="steps"/> sampling steps each;
    /// <paramref name="runBatch"/> gets the batch index and the sink for its steps.</summary>
    public abstract void Sampling(string what, int batches, int steps, Action<int, IProgress<SamplingProgress>> runBatch);

    /// <summary>Runs <paramref name="run"/>, showing each training stage's step, loss, metrics and ETA.</summary>
    public abstract void Training(Action<IProgress<Model.Training.TrainingProgress>> run);

    /// <summary>"loss 0.1234 (avg 0.1300) lr 5.0e-04 psnr=24.1" for one report.</summary>
    protected static string Describe(Model.Training.TrainingProgress p) =>
        $"loss {p.Loss:F4} (avg {p.SmoothedLoss:F4}) lr {p.LearningRate:0.0e+00}" +
        string.Concat(p.Metrics.Select(m => $" {m.Key}={m.Value:0.####}"));

    protected abstract T RunLoading<T>(IReadOnlyList<string> roles, Func<IProgress<LoadProgress>, T> load);
}

/// <summary>Reports on the caller's thread, unlike <see cref="Progress{T}"/>, which posts to the thread pool.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
