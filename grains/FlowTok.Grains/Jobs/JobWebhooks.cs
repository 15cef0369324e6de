using FlowTok.Contracts.Jobs;
using FlowTok.Infrastructure.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// Delivers a finished job's webhook for its <see cref="JobGrain"/>: one attempt at a time, the job's JSON signed
/// (<see cref="WebhookSignature"/>), a 2xx answer delivers it, anything else is tried again after an exponential back-off
/// until <see cref="WebhookOptions.MaxAttempts"/>. The grain keeps the attempts in its stored state and holds a reminder
/// (<see cref="ReminderName"/>) while a delivery is pending: the reminder reactivates the job after a silo restart.
/// </summary>
public sealed class JobWebhooks(WebhookSender sender, IJobWebhookBody body, IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string ReminderName = "webhook";

    public TimeSpan ReminderPeriod => options.Value.ReminderPeriod;

    /// <summary>The same for every attempt, so a receiver can drop a repeat it already took.</summary>
    public static string MessageId(string jobId) => $"msg_{jobId}";

    /// <summary>One attempt; <paramref name="delivery"/> records its outcome and when the next is due.</summary>
    public async Task<WebhookAttempt> AttemptAsync(JobSnapshot job, WebhookDelivery delivery, CancellationToken cancellation)
    {
        var webhook = job.Spec.Webhook!;
        var attempt = await sender.SendAsync(webhook.Url, job.TenantId, MessageId(job.JobId), body.Render(job, webhook.LinksBaseUrl), cancellation);
        var now = time.GetUtcNow();
        delivery.Attempts++;
        if (attempt.Delivered)
        {
            delivery.DeliveredAt = now;
            delivery.LastFailure = null;
            return attempt;
        }
        delivery.LastAttemptAt = now;
        delivery.LastFailure = attempt.Status is { } status ? $"HTTP {status}" : attempt.Error;
        if (delivery.Attempts >= options.Value.MaxAttempts) delivery.GaveUp = true;
        return attempt;
    }

    /// <summary>How long until the next attempt of a pending delivery (zero: now).</summary>
    public TimeSpan UntilNextAttempt(WebhookDelivery delivery)
    {
        if (delivery.LastAttemptAt is not { } last) return TimeSpan.Zero;
        var wait = last + options.Value.RetryDelay(delivery.Attempts) - time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }
}

public static class WebhookHosting
{
    /// <summary>Webhook delivery for the jobs of this silo, their bodies rendered by <typeparamref name="TBody"/>. Needs the
    /// reminder service (<see cref="ReservationSweepHosting.AddFlowTokReservationSweep"/>); lowers its floor to
    /// Webhooks:ReminderPeriod.</summary>
    public static ISiloBuilder AddFlowTokWebhooks<TBody>(this ISiloBuilder silo) where TBody : class, IJobWebhookBody
    {
        silo.Services.AddOptions<WebhookOptions>();
        silo.Services.AddSingleton<IJobWebhookBody, TBody>();
        silo.Services.AddSingleton<WebhookSender>();
        silo.Services.AddSingleton(sp => new JobWebhooks(sp.GetRequiredService<WebhookSender>(), sp.GetRequiredService<IJobWebhookBody>(),
            sp.GetRequiredService<IOptions<WebhookOptions>>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<WebhookOptions>>((o, webhooks) =>
            o.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(o.MinimumReminderPeriod.Ticks, webhooks.Value.ReminderPeriod.Ticks)));
        return silo;
    }
}
