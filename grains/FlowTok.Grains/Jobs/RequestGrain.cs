using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using FlowTok.Grains.Scheduling;
using FlowTok.Infrastructure.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Jobs;

/// <summary>
/// One job: admits it (tenant concurrency and quota, platform queue bound), publishes one command per item, collects
/// the results and failures the model silos report back, and ends it (succeeded, failed or cancelled), releasing what
/// admission reserved. Watchers (the gateway's long polls and event streams) are woken on every change.
/// </summary>
public sealed class RequestGrain(
    [PersistentState("job", StorageNames.Jobs)] IPersistentState<JobState> state,
    IBus bus,
    IAdmissionCounter admission,
    ICancellationSignals cancellations,
    IOptions<PlatformOptions> platform,
    SiloShutdown shutdown,
    ILogger<RequestGrain> logger) : Grain, IRequestGrain
{
    private readonly Dictionary<int, int> progress = [];
    /// <summary>Started, unsettled items: when each was last heard of (progress) or queued again, and how often it was.</summary>
    private readonly Dictionary<int, (DateTimeOffset At, int Requeues)> heard = [];
    private IGrainTimer? stallWatch;
    private TaskCompletionSource changed = NewSignal();
    private readonly TaskCompletionSource ended = NewSignal();
    private int version;
    private int publishAttempts;
    private bool admissionReleased;

    /// <summary>How long one attempt to queue a job's items may take (publisher confirms included).</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    private JobState Job => state.State;
    private string JobId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        version = Job.Version;
        // Reactivated with a job still open (its silo died or stopped, or a restart with persistent Redis): keep its
        // deadline, and queue its items again unless they are known to be queued (a duplicate result is ignored).
        if (Job.Spec is not null && !Job.Status.IsTerminal())
        {
            WatchDeadline();
            WatchInput();
            if (!Job.Queued) SchedulePublish(TimeSpan.Zero);
        }
        return Task.CompletedTask;
    }

    public async Task<SubmitResult> SubmitAsync(JobSpec spec, TenantLimits limits)
    {
        if (Job.Spec is not null) return new SubmitResult { Job = Snapshot() };
        int items = spec.Kind == JobKind.Caption ? 1 : spec.Count;

        double weight = limits.Weight > 0 ? limits.Weight : 1;
        if (await AdmitForTenant(spec.TenantId, weight, items) is { } refused) return Rejected(refused);
        var tenant = GrainFactory.GetGrain<ITenantGrain>(spec.TenantId);
        var verdict = await tenant.TryStartJobAsync(JobId, items, limits);
        if (!verdict.Accepted)
        {
            await admission.ReleaseForTenantAsync(spec.TenantId, items);
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
            using var timeout = new CancellationTokenSource(PublishTimeout);
            await Publish(Job.Spec, Enumerable.Range(0, Job.Spec.Count), timeout.Token);
            Job.Queued = true;
        }
        catch (Exception e)
        {
            publishAttempts++;
            var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, publishAttempts - 1)));
            logger.LogWarning(e, "Queueing the items of job {JobId} failed (attempt {Attempt}); trying again in {Delay}", JobId, publishAttempts, delay);
            SchedulePublish(delay);
        }
    }

    private void SchedulePublish(TimeSpan delay) =>
        this.RegisterGrainTimer(PublishItems, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));

    /// <summary>
    /// No job waits forever: if its items have not all come back by Platform:JobTimeout (a lost event, a replica that
    /// died with the in-memory bus), it fails with the reason. The activation stays until then.
    /// </summary>
    private void WatchDeadline()
    {
        var timeout = platform.Value.JobTimeout;
        var remaining = Job.CreatedAt + timeout - DateTimeOffset.UtcNow;
        if (remaining < TimeSpan.Zero) remaining = TimeSpan.Zero;
        DelayDeactivation(remaining + TimeSpan.FromMinutes(1));
        this.RegisterGrainTimer(async () =>
        {
            if (Job.Spec is null || Job.Status.IsTerminal()) return;
            var missing = Enumerable.Range(0, Job.Spec.Count).Where(i => !Settled(i)).ToList();
            logger.LogWarning("Job {JobId} timed out after {Timeout} with items {Missing} unfinished", JobId, timeout, missing);
            foreach (var i in missing) Job.Failures[i] = ItemFailures.TimedOut;
            await cancellations.CancelAsync(JobId);
            await Finish(JobStatus.Failed, $"the job timed out after {timeout}: item(s) {string.Join(", ", missing)} did not finish");
        }, new GrainTimerCreationOptions(remaining, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// The platform queue is shared by weight among the tenants that have work in it (<see cref="QueueBounds"/>): a tenant
    /// holding its share is refused (429) while the others are still admitted. Null when admitted.
    /// </summary>
    private async Task<Admission?> AdmitForTenant(string tenant, double weight, int items)
    {
        var options = platform.Value;
        var held = await admission.TenantsAsync();
        double others = held.Where(h => h.Key != tenant).Sum(h => h.Value.Weight);
        int limit = QueueBounds.TenantLimit(options.MaxQueuedItems, Math.Min(options.MinQueuedItemsPerTenant, options.MaxQueuedItems), weight, others);
        // While tenants' shares shift, the queue may briefly hold more than MaxQueuedItems; never more than twice.
        var verdict = await admission.TryAddForTenantAsync(tenant, weight, items, limit, 2 * options.MaxQueuedItems);
        return verdict switch
        {
            AdmissionVerdict.Admitted => null,
            AdmissionVerdict.TenantShareFull => new Admission
            {
                Accepted = false,
                Code = "tenant_queue_full",
                Reason = $"the tenant holds its share of the platform queue ({held.GetValueOrDefault(tenant).Items} items queued or running; " +
                    $"its share is {limit} of {options.MaxQueuedItems} at weight {weight:0.##} while {held.Count(h => h.Key != tenant)} other tenant(s) have work queued)",
                RetryAfter = options.QueueFullRetryAfter,
            },
            _ => new Admission
            {
                Accepted = false,
                Code = "queue_full",
                Reason = $"the platform queue is full ({2 * options.MaxQueuedItems} items queued or running)",
                RetryAfter = options.QueueFullRetryAfter,
            },
        };
    }

    private SubmitResult Rejected(Admission why)
    {
        DeactivateOnIdle(); // nothing was stored: the job id stays free
        return new SubmitResult { Rejection = why };
    }

    private Task Publish(JobSpec spec, IEnumerable<int> items, CancellationToken cancellationToken) =>
        spec.Kind == JobKind.Caption
            ? bus.PublishBatch(items.Select(i => new CaptionImage
            {
                JobId = JobId, Index = i, TenantId = spec.TenantId, InputFileId = spec.InputFileId!,
                Steps = spec.Steps, GuidanceScale = spec.GuidanceScale,
                TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = ItemDeadline(spec),
            }), cancellationToken)
            : bus.PublishBatch(items.Select(i => new GenerateImage
            {
                JobId = JobId, Index = i, TenantId = spec.TenantId, Prompt = spec.Prompt!, Seed = spec.Seed + i,
                Steps = spec.Steps, GuidanceScale = spec.GuidanceScale, TextNoise = spec.TextNoise,
                TenantWeight = spec.TenantWeight, Priority = spec.Priority, Deadline = ItemDeadline(spec),
            }), cancellationToken);

    /// <summary>An item not started by the request's deadline, or else by the job's timeout, is dropped before it runs.</summary>
    private DateTimeOffset ItemDeadline(JobSpec spec)
    {
        var timeout = Job.CreatedAt + platform.Value.JobTimeout;
        return spec.Deadline is { } deadline && deadline < timeout ? deadline : timeout;
    }

    /// <summary>
    /// Items go silent when their result event is lost (published as the broker went down) or their replica vanished with
    /// the in-memory bus. Every started item is watched: silent for Platform:ItemStallTimeout (doubling each time) means
    /// it is queued again, at most Platform:MaxItemRequeues times; a late original result wins, the duplicate is ignored.
    /// </summary>
    private void Heard(int index)
    {
        heard[index] = (DateTimeOffset.UtcNow, heard.GetValueOrDefault(index).Requeues);
        var options = platform.Value;
        if (stallWatch is not null || options.ItemStallTimeout <= TimeSpan.Zero || options.MaxItemRequeues <= 0) return;
        var period = options.ItemStallTimeout / 4;
        stallWatch = this.RegisterGrainTimer(RequeueStalledItems, new GrainTimerCreationOptions(period, period));
    }

    private async Task RequeueStalledItems()
    {
        var options = platform.Value;
        var now = DateTimeOffset.UtcNow;
        if (Job.Spec is null || Job.Status.IsTerminal())
        {
            stallWatch?.Dispose();
            stallWatch = null;
            return;
        }
        var stalled = heard
            .Where(h => !Settled(h.Key) && h.Value.Requeues < options.MaxItemRequeues
                && now - h.Value.At > options.ItemStallTimeout * Math.Pow(2, h.Value.Requeues))
            .Select(h => h.Key).Order().ToList();
        if (stalled.Count == 0) return;
        foreach (var i in stalled) heard[i] = (now, heard[i].Requeues + 1);
        logger.LogWarning("Job {JobId}: item(s) {Items} started but went silent (no progress or result for {Timeout} or more); queueing them again",
            JobId, stalled, options.ItemStallTimeout);
        try
        {
            using var timeout = new CancellationTokenSource(PublishTimeout);
            await Publish(Job.Spec, stalled, timeout.Token);
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
        if (version <= afterVersion && !Job.Status.IsTerminal()) await Wait(changed.Task, maxWait);
        return Snapshot();
    }

    public async Task<JobSnapshot?> WaitForEndAsync(TimeSpan maxWait)
    {
        if (Job.Spec is null) return null;
        if (!Job.Status.IsTerminal()) await Wait(ended.Task, maxWait);
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
        Changed();
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
        await Save();
        ended.TrySetResult();
        await Release();
    }

    /// <summary>Returns the job's admission reservations; retried in the background if Redis or the tenant's silo is
    /// failing, so capacity is never leaked by a transient failure.</summary>
    private async Task Release()
    {
        try
        {
            if (!admissionReleased)
            {
                await admission.ReleaseForTenantAsync(Job.Spec!.TenantId, Job.Spec!.Count);
                admissionReleased = true;
            }
            await GrainFactory.GetGrain<ITenantGrain>(Job.Spec!.TenantId).FinishJobAsync(JobId, Job.Outputs.Count);
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
        Changed();
        Job.Version = version;
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

    private void Changed()
    {
        version++;
        var signal = changed;
        changed = NewSignal();
        signal.TrySetResult();
    }

    private JobSnapshot Snapshot()
    {
        var spec = Job.Spec!;
        int stepsDone = Enumerable.Range(0, spec.Count).Sum(i =>
            Job.Outputs.Any(o => o.Index == i) ? spec.Steps : progress.GetValueOrDefault(i));
        return new JobSnapshot
        {
            JobId = JobId,
            Spec = spec,
            Status = Job.Status,
            Outputs = Job.Outputs.ToList(),
            StepsDone = stepsDone,
            TotalSteps = spec.Count * spec.Steps,
            Error = Job.Error,
            Failures = Job.Failures.ToDictionary(f => f.Key, f => ItemFailures.Normalize(f.Value)),
            CreatedAt = Job.CreatedAt,
            FinishedAt = Job.FinishedAt,
            Version = version,
        };
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

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
}
