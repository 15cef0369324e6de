using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Models;
using FlowTok.Storage;

namespace FlowTok.Gateway.Jobs;

/// <summary>
/// Where a queued job waits: the smallest position any announced replica gives it (1 + the items queued there before its
/// first waiting item, in arrival order). Only the number: the job's owner learns nothing else of the items ahead. Null
/// when the job is not queued, or no replica holds it yet (its messages are still on their way).
/// </summary>
public sealed class QueuePositions(IModelRegistry registry, IGrainFactory grains)
{
    public async Task<int?> OfAsync(JobSnapshot job)
    {
        if (job.Status != JobStatus.Queued) return null;
        IReadOnlyList<RegisteredModel> replicas;
        try
        {
            replicas = await registry.ListAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
        var positions = await Task.WhenAll(replicas.Select(r => PositionOn(r.GrainKey, job.JobId)));
        return positions.Where(p => p is not null).Min();
    }

    /// <summary>A replica that cannot answer (its silo away, a stale announcement) counts as not holding the job: a position
    /// is a courtesy and never fails the job's status.</summary>
    private async Task<int?> PositionOn(string replica, string jobId)
    {
        try
        {
            return await grains.GetGrain<IModelGrain>(replica).GetQueuePositionAsync(jobId).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }
}
