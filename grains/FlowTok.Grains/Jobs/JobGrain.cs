using FlowTok.Contracts.Jobs;
using FlowTok.Storage;
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
/// This file: admission, queueing the items, what the replicas report, the end. The rest by duty: JobGrain.Watches.cs
/// (deadline, stalled items, a caption's upload), JobGrain.Polls.cs (reads and long polls), JobGrain.Webhook.cs.
/// </summary>
// The grain type keeps its first name ("request"): stored job states and their reminders are keyed by it.
[GrainType("request")]
public sealed partial class JobGrain(
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
            logger.LogDebug("Job {JobId}: its {Count} item(s) were queued (attempt {Attempt})", JobId, Job.Spec.Count, backoff.Failures + 1);
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

    private bool Settled(int index) => Job.Outputs.Any(o => o.Index == index) || Job.Failures.ContainsKey(index);

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
}
