using FlowTok.Contracts.Jobs;

namespace FlowTok.Gateway.Tests;

/// <summary>A request grain whose WatchAsync plays back a script of snapshots (then repeats the last one, like a quiet job).</summary>
internal sealed class FakeJobGrain(params JobSnapshot[] script) : IJobGrain
{
    private readonly Queue<JobSnapshot> _script = new(script);
    private JobSnapshot? _last = script.LastOrDefault();

    public List<(int AfterVersion, TimeSpan MaxWait)> Watches { get; } = [];

    public TimeSpan QuietDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Failures thrown by the next long polls, one each (a silo dying under the job).</summary>
    public Queue<Exception> Failures { get; init; } = [];

    public async Task<JobSnapshot?> WatchAsync(int afterVersion, TimeSpan maxWait)
    {
        Watches.Add((afterVersion, maxWait));
        if (_script.TryDequeue(out var next)) return _last = next;
        if (QuietDelay > TimeSpan.Zero) await Task.Delay(QuietDelay < maxWait ? QuietDelay : maxWait);
        return _last;
    }

    /// <summary>Plays the script forward to the first finished snapshot (or its end), as one long poll.</summary>
    public async Task<JobSnapshot?> WaitForEndAsync(TimeSpan maxWait)
    {
        Watches.Add((-1, maxWait));
        if (Failures.TryDequeue(out var failure)) throw failure;
        while (_script.TryDequeue(out var next))
        {
            _last = next;
            if (next.Status.IsTerminal()) return next;
        }
        if (QuietDelay > TimeSpan.Zero) await Task.Delay(QuietDelay < maxWait ? QuietDelay : maxWait);
        return _last;
    }

    public Task<JobSnapshot?> GetAsync() => Task.FromResult(_last);
    /// <summary>Submissions seen; the first <see cref="Unanswered"/> are never answered (sent to a silo that died), the next
    /// throw the next of <see cref="Failures"/>, the rest answer with the script's first snapshot.</summary>
    public int Submissions { get; private set; }

    public int Unanswered { get; init; }

    public Task<SubmitResult> SubmitAsync(JobSpec spec, TenantLimits limits)
    {
        if (++Submissions <= Unanswered) return new TaskCompletionSource<SubmitResult>().Task;
        if (Failures.TryDequeue(out var failure)) throw failure;
        return Task.FromResult(new SubmitResult { Job = script[0] });
    }
    public Task<JobSnapshot?> AttachInputAsync(string fileId) => throw new NotSupportedException();
    public Task<JobSnapshot?> CancelAsync() => throw new NotSupportedException();
    public Task ReportProgressAsync(int index, int step, int steps) => throw new NotSupportedException();
    public Task ReportPreviewAsync(JobPreview preview) => throw new NotSupportedException();
    public Task<IReadOnlyList<JobPreview>> GetPreviewsAsync(int afterSequence) => throw new NotSupportedException();
    public Task CompleteItemAsync(JobOutput output) => throw new NotSupportedException();
    public Task FailItemAsync(int index, string reason) => throw new NotSupportedException();

    public static JobSnapshot Job(JobStatus status, int version, int stepsDone = 0, JobKind kind = JobKind.Generation, params JobOutput[] outputs) => new()
    {
        JobId = "job-01JD0000000000000000000000",
        Spec = new JobSpec { TenantId = "tenant-a", Kind = kind, Prompt = kind == JobKind.Generation ? "a red circle" : null, Count = 2, Seed = 7, InputFileId = kind == JobKind.Caption ? "upload-1" : null },
        Status = status,
        Outputs = outputs,
        StepsDone = stepsDone,
        TotalSteps = 40,
        CreatedAt = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        FinishedAt = status.IsTerminal() ? DateTimeOffset.FromUnixTimeSeconds(1_700_000_030) : null,
        Error = status == JobStatus.Failed ? "out of memory" : null,
        Version = version,
    };
}
