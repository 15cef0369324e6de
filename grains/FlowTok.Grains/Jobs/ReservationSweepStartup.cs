using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Starts the reservation sweep's reminder as a silo becomes active: in the background and until it succeeds (Redis may be
/// restarting), so a silo never fails to start for it. Reminders live in Redis (Orleans' Redis reminder table) in every
/// mode: the embedded server on one machine, the cluster's Redis otherwise.
/// </summary>
public sealed class ReservationSweepStartup(IGrainFactory grains, ILogger<ReservationSweepStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ReservationSweepStartup), ServiceLifecycleStage.Active, OnStart, OnStop);

    private Task OnStart(CancellationToken cancellation)
    {
        _ = Task.Run(StartReminder);
        return Task.CompletedTask;
    }

    private Task OnStop(CancellationToken cancellation) => stopping.CancelAsync();

    private async Task StartReminder()
    {
        for (var delay = TimeSpan.FromSeconds(1); !stopping.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(1).Ticks)))
        {
            try
            {
                await grains.GetGrain<IReservationSweepGrain>(0).StartAsync();
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Starting the reservation sweep's reminder failed; trying again in {Delay}", delay);
                await Task.Delay(delay, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}

public static class ReservationSweepHosting
{
    /// <summary>Orleans reminders in Redis (the process's one multiplexer) and the reservation sweep on them. Reminders may
    /// tick as often as Platform:ReservationSweepPeriod (Orleans' own floor is a minute).</summary>
    public static ISiloBuilder AddFlowTokReservationSweep(this ISiloBuilder silo)
    {
        silo.UseRedisReminderService(_ => { });
        silo.Services.AddOptions<Orleans.Configuration.RedisReminderTableOptions>().Configure<RedisEndpoint, IConnectionMultiplexer>((o, endpoint, redis) =>
        {
            o.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
            o.CreateMultiplexer = _ => Task.FromResult((redis, true));
        });
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<PlatformOptions>>((o, platform) =>
            o.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(o.MinimumReminderPeriod.Ticks, platform.Value.ReservationSweepPeriod.Ticks)));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ReservationSweepStartup>();
        return silo;
    }
}
