using FlowTok.Contracts.Jobs;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Jobs;

/// <summary>A finished job's webhook: attempts on a grain timer while the job is active, a reminder to come back after a
/// restart (<see cref="JobWebhooks"/> makes the attempts and spaces them).</summary>
public sealed partial class JobGrain
{
    private async Task ArmWebhookReminder()
    {
        try
        {
            await this.RegisterOrUpdateReminder(JobWebhooks.ReminderName, webhooks.ReminderPeriod, webhooks.ReminderPeriod);
        }
        catch (Exception e)
        {
            // Delivered all the same while this activation lives; only a restart before then would lose it.
            logger.LogWarning(e, "Job {JobId}: the webhook's reminder could not be registered", JobId);
        }
    }

    private void ScheduleWebhook()
    {
        if (Job.Webhook is not { Pending: true } delivery || webhookTimer is not null) return;
        var delay = webhooks.UntilNextAttempt(delivery);
        DelayDeactivation(delay + TimeSpan.FromMinutes(1));
        webhookTimer = this.RegisterGrainTimer(DeliverWebhook, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
    }

    private async Task DeliverWebhook()
    {
        webhookTimer?.Dispose();
        webhookTimer = null;
        if (Job.Spec is null || Job.Webhook is not { Pending: true } delivery) return;
        var attempt = await webhooks.AttemptAsync(Snapshot(), delivery, shutdown.Stopping);
        if (!attempt.Delivered)
            logger.LogWarning("Job {JobId}: webhook attempt {Attempt} failed ({Failure}); {Next}", JobId, delivery.Attempts, delivery.LastFailure,
                delivery.GaveUp ? "given up" : $"trying again in {webhooks.UntilNextAttempt(delivery)}");
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // Memory is ahead of storage: a restart now repeats an attempt (receivers drop repeats by webhook-id).
            logger.LogWarning(e, "Job {JobId}: the webhook's progress could not be stored", JobId);
        }
        if (delivery.Pending) ScheduleWebhook();
        else await DisarmWebhookReminder();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != JobWebhooks.ReminderName) return Task.CompletedTask;
        if (Job.Webhook is { Pending: true }) ScheduleWebhook();
        else return DisarmWebhookReminder();
        return Task.CompletedTask;
    }

    private async Task DisarmWebhookReminder()
    {
        try
        {
            if (await this.GetReminder(JobWebhooks.ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId}: the webhook's reminder could not be removed; its next tick tries again", JobId);
        }
    }
}
