using FlowTok.Contracts.Jobs;
using FlowTok.Storage;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Brings the admission counts back to the truth: every reservation in the platform queue (<see cref="IAdmissionCounter"/>)
/// belongs to a job that is still open. A reservation whose job ended (its release was lost with its silo) or was never
/// stored (a write that failed after admission, a submit that died half-way) is returned, tenant slot first, as
/// <see cref="JobRelease"/> does; an open job is asked for its state, which reactivates it, and with it its deadline. Then
/// the counts are set to what the remaining reservations add up, so no drift outlives a pass.
/// </summary>
public sealed class ReservationSweep(IAdmissionCounter counter, IGrainFactory grains, TimeSpan grace)
{
    /// <summary>One pass. A reservation that could not be checked (its job's or tenant's silo failing) is left for the next.</summary>
    public async Task<SweepResult> SweepAsync(DateTimeOffset now)
    {
        var result = new SweepResult();
        foreach (var reservation in await counter.ReservationsAsync())
        {
            if (now - reservation.AdmittedAt < grace) continue;
            try
            {
                if (await Settle(reservation)) result = result with { Returned = result.Returned + 1 };
            }
            catch (Exception)
            {
                result = result with { Failed = result.Failed + 1 };
            }
        }
        return result with { Recounted = await counter.RecountAsync() };
    }

    private async Task<bool> Settle(AdmissionReservation reservation)
    {
        var job = await grains.GetGrain<IJobGrain>(reservation.JobId).GetAsync();
        if (job is not null && !job.Status.IsTerminal()) return false;
        await grains.GetGrain<ITenantGrain>(reservation.Tenant).FinishJobAsync(reservation.JobId, job?.Outputs.Count ?? 0);
        return await counter.ReleaseReservationAsync(reservation.JobId);
    }
}

/// <summary>What one sweep did: reservations returned, those it could not check this time, and by how many items the
/// platform's count was off from the reservations.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepResult
{
    [Id(0)] public int Returned { get; init; }
    [Id(1)] public int Failed { get; init; }
    [Id(2)] public long Recounted { get; init; }
}
