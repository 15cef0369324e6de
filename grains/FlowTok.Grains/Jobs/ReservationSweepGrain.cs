using FlowTok.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Jobs;

/// <summary>Runs the reservation sweep on a durable reminder (one grain for the platform, key 0).</summary>
public interface IReservationSweepGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder (idempotent; every silo calls it as it starts).</summary>
    Task StartAsync();

    /// <summary>One pass now.</summary>
    Task<SweepResult> SweepAsync();
}

/// <summary>
/// Hosts <see cref="ReservationSweep"/> on an Orleans reminder, which is stored in Redis: it keeps ticking whichever silo
/// dies, on the silo that owns it, and reactivates the grain as needed.
/// </summary>
public sealed class ReservationSweepGrain(IAdmissionCounter counter, IOptions<PlatformOptions> platform, ILogger<ReservationSweepGrain> logger)
    : Grain, IReservationSweepGrain, IRemindable
{
    public const string ReminderName = "reservation-sweep";

    private ReservationSweep Sweep => new(counter, GrainFactory, platform.Value.ReservationSweepGrace);

    public async Task StartAsync()
    {
        var period = platform.Value.ReservationSweepPeriod;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    public async Task<SweepResult> SweepAsync()
    {
        var result = await Sweep.SweepAsync(DateTimeOffset.UtcNow);
        if (result.Returned > 0)
            logger.LogWarning("The reservation sweep returned {Count} reservation(s) of jobs that had ended or were never stored", result.Returned);
        if (result.Recounted != 0)
            logger.LogWarning("The admission count was off by {Items} item(s) from the reservations; it was set to their sum", result.Recounted);
        if (result.Failed > 0) logger.LogWarning("The reservation sweep could not check {Count} reservation(s); the next pass tries again", result.Failed);
        return result;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => SweepAsync();
}
