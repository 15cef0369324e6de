using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>What callers see of a job: its stored state plus in-memory progress (steps done: a finished item counts all its steps).</summary>
public static class JobSnapshots
{
    public static JobSnapshot Of(string jobId, JobState job, IReadOnlyDictionary<int, int> progress, int version)
    {
        var spec = job.Spec!;
        int stepsDone = Enumerable.Range(0, spec.Count).Sum(i =>
            job.Outputs.Any(o => o.Index == i) ? spec.Steps : progress.GetValueOrDefault(i));
        return new JobSnapshot
        {
            JobId = jobId,
            Spec = spec,
            Status = job.Status,
            Outputs = job.Outputs.ToList(),
            StepsDone = stepsDone,
            TotalSteps = spec.Count * spec.Steps,
            Error = job.Error,
            Failures = job.Failures.ToDictionary(f => f.Key, f => ItemFailures.Normalize(f.Value)),
            CreatedAt = job.CreatedAt,
            FinishedAt = job.FinishedAt,
            Version = version,
        };
    }
}
