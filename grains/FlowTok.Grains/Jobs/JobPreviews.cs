using FlowTok.Contracts.Jobs;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// A job's previews, in memory only (the job's stored state in Redis never holds them): at most the spec's previews per
/// item, one per (item, partial index), so an item queued again does not add its previews twice, and none after the
/// item's result. Numbered in arrival order for readers that ask for what is new.
/// </summary>
public sealed class JobPreviews
{
    private readonly List<JobPreview> previews = [];

    /// <summary>Keeps <paramref name="preview"/> if the job asked for it and has not got it; false when it was not kept.</summary>
    public bool Add(JobPreview preview, JobSpec spec, bool itemSettled)
    {
        if (itemSettled || preview.Index < 0 || preview.Index >= spec.Count || preview.PartialIndex < 0 || preview.PartialIndex >= spec.Previews) return false;
        if (previews.Any(p => p.Index == preview.Index && p.PartialIndex == preview.PartialIndex)) return false;
        previews.Add(preview with { Sequence = previews.Count + 1 });
        return true;
    }

    public IReadOnlyList<JobPreview> After(int sequence) => previews.Where(p => p.Sequence > sequence).ToList();
}
