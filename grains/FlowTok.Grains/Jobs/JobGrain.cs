using FlowTok.Contracts.Jobs;
using FlowTok.Infrastructure.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// One job: admits it (tenant concurrency and quota, platform queue share), publishes one command per item, collects
/// the results and failures the model silos report back, and ends it (succeeded, failed or cancelled), releasing what
/// admission reserved. The grain holds the state and the timers; its duties are small collaborators: admission
/// (<see cref="TenantQueueAdmission"/>), the commands and their back-off (<see cref="ItemCommands"/>, <see cref="PublishBackoff"/>),
/// the deadline (<see cref="JobDeadline"/>), the stall watch (<see cref="StallWatch"/>), long-poll signals (<see cref="JobSignals"/>),
/// the release (<see cref="JobRelease"/>), snapshots (<see cref="JobSnapshots"/>) and the webhook (<see cref="JobWebhooks"/>).
/// </summary>
// The grain type keeps its first name ("request"): stored job states and their reminders are keyed by it.
[GrainType("request")]
public sealed class JobGrain(
    [PersistentState("job", StorageNames.Jobs)] IPersistentState<JobState> state,
    IBus bus,
    IAdmissionCounter admissionCounter,
    ICancellationSignals cancellations,
    IOptions<PlatformOptions> platform,
    SiloShutdown shutdown,
    JobWebhooks webhooks,
    ILogger<JobGrain> logger) : Grain, IJobGrain, IRemindable
{
    /// <summary>How long one attempt to queue a job's items may take (publisher confirms included).</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<int, int> progress = [];
    private readonly JobPreviews previews = new();
    private readonly TenantQueueAdmission admission = new(admissionCounter, platform.Value);
    private readonly StallWatch stalls = new(platform.Value.ItemStallTimeout, platform.Value.MaxItemRequeues);
    private readonly PublishBackoff backoff = new();
    private readonly JobRelease release = new(new TenantQueueAdmission(admissionCounter, platform.Value));
    private JobSignals signals = new(0);
    private bool releasePending;
    private IGrainTimer? stallTimer;
    private IGrainTimer? webhookTimer;

    private JobState Job => state.State;
    private string JobId => this.GetPrimaryKeyString();
    private JobDeadline Deadline => new(Job.CreatedAt, platform.Value.JobTimeout);
    private ITenantGrain Tenant => GrainFactory.GetGrain<ITenantGrain>(Job.Spec!.TenantId);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        signals = new JobSignals(Job.Version);
        // Reactivated with a job still open (its silo died or stopped, or a restart with persistent Redis): keep its
        // deadline, and queue its items again unless they are known to be queued (a duplicate result is ignored).
        if (Job.Spec is not null && !Job.Status.IsTerminal())
        {
            WatchDeadline();
            WatchInput();
            if (!Job.Queued) SchedulePublish(TimeSpan.Zero);
        }
        ScheduleWebhook();
        return Task.CompletedTask;
    }

    /// <summary>
    /// A release still being retried when the activation goes would be lost with its timer: Orleans deactivates a job's
    /// grain when the silo holding its directory entry dies, the moment the tenant's grain (on that silo too) fails the
    /// release. By then the dead silo is known, so one more try reaches the tenant's grain on a survivor.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!releasePending) return;
        try
        {
            await release.ReleaseAsync(Tenant, JobId, Job.Outputs.Count).WaitAsync(cancellationToken);
            releasePending = false;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId} ended but its reservations were not returned before its activation went ({Reason}); the reservation sweep returns them", JobId, reason);
        }
    }

    public async Task<SubmitResult> SubmitAsync(JobSpec spec, TenantLimits limits)
    {
        if (Job.Spec is not null) return new SubmitResult { Job = Snapshot() };
        int items = spec.Kind == JobKind.Caption ? 1 : spec.Count;

        double weight = limits.Weight > 0 ? limits.Weight : 1;
        // Both reservations are per job id: a submit retried after a failed write below finds them and is not counted twice.
        if (await admission.TryAdmitAsync(JobId, spec.TenantId, weight, items) is { } refused) return Rejected(refused);
        Admission verdict;
        try
        {
            verdict = await GrainFactory.GetGrain<ITenantGrain>(spec.TenantId).TryStartJobAsync(JobId, items, limits);
        }
        catch
        {
            // The tenant's silo died (or timed out): the gateway submits again, reserving again (or the sweep returns it).
            await admission.ReleaseAsync(JobId);
            throw;
        }
        if (!verdict.Accepted)
        {
            await admission.ReleaseAsync(JobId);
            return Rejected(verdict);
        }

        Job.Spec = spec with { Count = items, TenantWeight = weight };
        Job.Status = JobStatus.Queued;
        Job.CreatedAt = DateTimeOffset.UtcNow;
        await Save();
        WatchDeadline();
        WatchInput();
        await PublishItems();
        return new SubmitResult { Job = Snapshot() };
    }

    private SubmitResult Rejected(Admission why)
    {
        DeactivateOnIdle(); // nothing was stored: the job id stays free
        return new SubmitResult { Rejection = why };
    }

    /// <summary>
    /// Queues one command per item. The job is accepted (stored) first: if the queue does not take the items (the broker
    /// restarting), they are queued again with back-off until it does or the job's deadline fails it. That they were
    /// queued is stored with the job's next write; a job reactivated before that queues them again.
    /// </summary>
    private async Task PublishItems()
    {
        if (Job.Spec is null || Job.Status.IsTerminal() || Job.Queued || AwaitsInput) return;
        try
        {
            await Publish(Enumerable.Range(0, Job.Spec.Count));
            Job.Queued = true;
        }
        catch (Exception e)
        {
            var delay = backoff.Failed();
            logger.LogWarning(e, "Queueing the items of job {JobId} failed (attempt {Attempt}); trying again in {Delay}", JobId, backoff.Failures, delay);
            SchedulePublish(delay);
        }
    }

    private async Task Publish(IEnumerable<int> items)
    {
        using var timeout = new CancellationTokenSource(PublishTimeout);
        await ItemCommands.Publish(bus, JobId, Job.Spec!, Deadline.ForItems(Job.Spec!), items, timeout.Token);
    }

    private void SchedulePublish(TimeSpan delay) =>
        this.RegisterGrainTimer(PublishItems, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));

    /// <summary>At the job's deadline, a job still open fails with the items that did not finish. The activation stays until then.</summary>
    private void WatchDeadline()
    {
        var deadline = Deadline;
        var remaining = deadline.Remaining(DateTimeOffset.UtcNow);
        DelayDeactivation(remaining + TimeSpan.FromMinutes(1));
        this.RegisterGrainTimer(async () =>
        {
            if (Job.Spec is null || Job.Status.IsTerminal()) return;
            var missing = Enumerable.Range(0, Job.Spec.Count).Where(i => !Settled(i)).ToList();
            logger.LogWarning("Job {JobId} timed out after {Timeout} with items {Missing} unfinished", JobId, deadline.Timeout, missing);
            foreach (var i in missing) Job.Failures[i] = ItemFailures.TimedOut;
            await cancellations.CancelAsync(JobId);
            await Finish(JobStatus.Failed, deadline.Reason(missing));
        }, new GrainTimerCreationOptions(remaining, Timeout.InfiniteTimeSpan));
    }

    /// <summary>An item was heard of: its stall watch starts again (and the watch's timer, with the first started item).</summary>
    private void Heard(int index)
    {
        stalls.Heard(index, DateTimeOffset.UtcNow);
        if (stallTimer is not null || !stalls.Enabled) return;
        stallTimer = this.RegisterGrainTimer(RequeueStalledItems, new GrainTimerCreationOptions(stalls.Period, stalls.Period));
    }

    private async Task RequeueStalledItems()
    {
        if (Job.Spec is null || Job.Status.IsTerminal())
        {
            stallTimer?.Dispose();
            stallTimer = null;
            return;
        }
        var stalled = stalls.TakeStalled(DateTimeOffset.UtcNow, Settled);
        if (stalled.Count == 0) return;
        logger.LogWarning("Job {JobId}: item(s) {Items} started but went silent (no progress or result for {Timeout} or more); queueing them again",
            JobId, stalled, platform.Value.ItemStallTimeout);
        try
        {
            await Publish(stalled);
        }
        catch (Exception e)
        {
            // Watched on: the next timeout tries again (the requeue counted).
            logger.LogWarning(e, "Queueing the silent items {Items} of job {JobId} again failed", stalled, JobId);
        }
    }

    private bool Settled(int index) => Job.Outputs.Any(o => o.Index == index) || Job.Failures.ContainsKey(index);

    public Task<JobSnapshot?> GetAsync() => Task.FromResult(Job.Spec is null ? null : Snapshot());

    public async Task<JobSnapshot?> WatchAsync(int afterVersion, TimeSpan maxWait)
    {
        if (Job.Spec is null) return null;
        if (signals.Version <= afterVersion && !Job.Status.IsTerminal()) await Wait(signals.NextChange, maxWait);
        return Snapshot();
    }

    public async Task<JobSnapshot?> WaitForEndAsync(TimeSpan maxWait)
    {
        if (Job.Spec is null) return null;
        if (!Job.Status.IsTerminal()) await Wait(signals.End, maxWait);
        return Snapshot();
    }

    /// <summary>A long poll: until <paramref name="signal"/>, <paramref name="maxWait"/>, or this silo leaving (then the
    /// job deactivates, and the caller's next poll reaches it on another silo).</summary>
    private async Task Wait(Task signal, TimeSpan maxWait)
    {
        await Task.WhenAny(signal, Task.Delay(maxWait, shutdown.Stopping));
        if (shutdown.Stopping.IsCancellationRequested) DeactivateOnIdle();
    }

    public async Task<JobSnapshot?> CancelAsync()
    {
        if (Job.Spec is null) return null;
        if (!Job.Status.IsTerminal())
        {
            await cancellations.CancelAsync(JobId);
            await Finish(JobStatus.Cancelled, null);
        }
        return Snapshot();
    }

    public Task ReportProgressAsync(int index, int step, int steps)
    {
        if (Job.Spec is null || Job.Status.IsTerminal()) return Task.CompletedTask;
        progress[index] = Math.Max(progress.GetValueOrDefault(index), Math.Min(step, steps));
        if (Job.Status == JobStatus.Queued) Job.Status = JobStatus.Running;
        Heard(index);
        signals.Changed();
        return Task.CompletedTask;
    }

    public Task ReportPreviewAsync(JobPreview preview)
    {
        if (Job.Spec is null || Job.Status.IsTerminal() || !previews.Add(preview, Job.Spec, Settled(preview.Index))) return Task.CompletedTask;
        Heard(preview.Index);
        signals.Changed();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobPreview>> GetPreviewsAsync(int afterSequence) => Task.FromResult(previews.After(afterSequence));

    public async Task CompleteItemAsync(JobOutput output)
    {
        if (Job.Spec is null || Job.Status.IsTerminal() || Job.Outputs.Any(o => o.Index == output.Index)) return;
        Job.Outputs.Add(output);
        Job.Outputs.Sort((a, b) => a.Index.CompareTo(b.Index));
        progress[output.Index] = Job.Spec.Steps;
        await ItemSettled();
    }

    public async Task FailItemAsync(int index, string reason)
    {
        if (Job.Spec is null || Job.Status.IsTerminal() || Settled(index)) return;
        Job.Failures[index] = ItemFailures.Normalize(reason);
        await ItemSettled();
    }

    private async Task ItemSettled()
    {
        if (Job.Outputs.Count + Job.Failures.Count < Job.Spec!.Count)
        {
            Job.Status = JobStatus.Running;
            await Save();
            return;
        }
        if (Job.Failures.Count == 0) await Finish(JobStatus.Succeeded, null);
        else
            await Finish(JobStatus.Failed, ItemFailures.Describe(Job.Failures));
    }

    /// <summary>Ends the job and returns what admission reserved (the quota is charged only for what was produced).</summary>
    private async Task Finish(JobStatus status, string? error)
    {
        Job.Status = status;
        Job.Error = error;
        Job.FinishedAt = DateTimeOffset.UtcNow;
        if (Job.Spec!.Webhook is not null && Job.Webhook is null)
        {
            // Stored with the end itself, and its reminder armed first: a silo that dies right after still delivers it.
            Job.Webhook = new WebhookDelivery();
            await ArmWebhookReminder();
        }
        await Save();
        signals.Ended();
        await Release();
        ScheduleWebhook();
    }

    /// <summary>Retried in the background if Redis or the tenant's silo is failing, so capacity is never leaked by a transient
    /// failure; if this activation goes before it succeeds, the reservation sweep (<see cref="ReservationSweep"/>) finishes it.</summary>
    private async Task Release()
    {
        releasePending = true;
        try
        {
            await release.ReleaseAsync(Tenant, JobId, Job.Outputs.Count);
            releasePending = false;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Releasing the reservations of job {JobId} failed; trying again", JobId);
            DelayDeactivation(TimeSpan.FromMinutes(5));
            this.RegisterGrainTimer(Release, new GrainTimerCreationOptions(TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan));
        }
    }

    /// <summary>Stores the job. A failed write (Redis restarting) leaves memory ahead of storage: the activation goes,
    /// and the caller's retry (a consumer's back-off) finds the stored state and applies its change again.</summary>
    private async Task Save()
    {
        signals.Changed();
        Job.Version = signals.Version;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private JobSnapshot Snapshot() => JobSnapshots.Of(JobId, Job, progress, signals.Version);

    // Caption uploads are stored by the gateway only once the job is admitted (a refused request stores nothing); the item
    // is queued when the stored file is attached.

    private bool AwaitsInput => Job.Spec is { Kind: JobKind.Caption, InputFileId: null };

    public async Task<JobSnapshot?> AttachInputAsync(string fileId)
    {
        if (Job.Spec is null) return null;
        if (!AwaitsInput || Job.Status.IsTerminal()) return Snapshot();
        Job.Spec = Job.Spec with { InputFileId = fileId };
        await Save();
        await PublishItems();
        return Snapshot();
    }

    /// <summary>An admitted caption job whose upload is not attached within Platform:UploadWait fails (input_unavailable).</summary>
    private void WatchInput()
    {
        if (!AwaitsInput) return;
        this.RegisterGrainTimer(async () =>
        {
            if (!AwaitsInput || Job.Status.IsTerminal()) return;
            logger.LogWarning("Job {JobId}: its upload was not stored within {Wait} of admission", JobId, platform.Value.UploadWait);
            Job.Failures[0] = ItemFailures.InputUnavailable;
            await Finish(JobStatus.Failed, ItemFailures.Describe(Job.Failures));
        }, new GrainTimerCreationOptions(platform.Value.UploadWait, Timeout.InfiniteTimeSpan));
    }

    // The webhook of a finished job: attempts on a grain timer while active, a reminder to come back after a restart.

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
