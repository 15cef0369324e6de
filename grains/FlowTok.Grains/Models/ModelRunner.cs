using System.Diagnostics;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Scheduling;
using FlowTok.Infrastructure.Storage;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Models;

/// <summary>
/// One FlowTok replica on one device: the fair scheduler decides which queued item starts next (tenant weights, priorities,
/// deadlines, queue shares), the step batcher holds the rows on the device, and the device's backends (<see cref="IStepDevice"/>,
/// one per task kind) run them one sampler step at a time on ONE dedicated thread (TorchSharp dispose scopes are per thread).
/// Each loop: free slots are filled from the scheduler (new rows encode their inputs and join at this step boundary), every
/// kind's rows take one step in one forward, fully sampled rows are decoded and leave. Each step's measured device time is
/// split among its rows and charged to their tenants. A row that fails fails alone; a cancelled job's rows leave at the next
/// step; an item whose deadline passed is dropped before it uses the device.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly ModelHostingOptions options;
    private readonly Func<string, bool> isCancelled;
    private readonly ILogger logger;
    private readonly Thread thread;
    private readonly object gate = new();
    private readonly FairScheduler<WorkItem> scheduler;
    private readonly StepBatcher batcher;
    private readonly Dictionary<StepRow, WorkItem> running = [];
    private readonly Dictionary<string, TenantTally> tallies = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<ModelDescriptor> loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StepDevices? devices;
    private bool stopping;
    private long nextRowId;
    private long steps, rowSteps, items, busyTicks, deadlineDrops, preemptions, expiredStarts;
    /// <summary>Rows of started items cancelled while preempted: their state is freed on the device thread.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<StepRow> releases = new();
    private int maxRowsSeen;
    /// <summary>Device seconds one row-step costs (moving average of measurements): the scheduler's cost estimate.</summary>
    private double rowStepSeconds = 0.01;

    public ModelRunner(ModelHostingOptions options, string device, Func<string, bool> isCancelled, ILogger logger)
    {
        if (options.MaxBatchSize < 1) throw new ArgumentException($"Model:MaxBatchSize must be at least 1, got {options.MaxBatchSize}");
        if (options.MaxQueueLength < 1) throw new ArgumentException($"Model:MaxQueueLength must be at least 1, got {options.MaxQueueLength}");
        this.options = options;
        Device = device;
        this.isCancelled = isCancelled;
        this.logger = logger;
        scheduler = new FairScheduler<WorkItem>(new SchedulerOptions
        {
            MaxQueuedItems = options.MaxQueueLength,
            BatchMinimumShare = options.Scheduling.BatchMinimumShare,
            // Tenants' queue shares are enforced where a refusal can be answered (platform admission: 429 + Retry-After). Here
            // a refusal would only make the consumer retry the message, so every tenant may use the whole replica queue.
            MinQueuedItemsPerTenant = options.MaxQueueLength,
            DefaultWeight = options.Scheduling.DefaultWeight,
        });
        batcher = new StepBatcher(options.MaxBatchSize, options.Batching);
        thread = new Thread(Run) { IsBackground = true, Name = $"flowtok-inference-{device}" };
        thread.Start();
    }

    public string Device { get; }

    /// <summary>Completes when the checkpoint is loaded (or faults with the loading error).</summary>
    public Task<ModelDescriptor> Loaded => loaded.Task;

    /// <summary>After every step: the rows it held and how long it took (metrics).</summary>
    public event Action<int, TimeSpan>? BatchCompleted;

    /// <summary>Device seconds charged to a tenant (a step's measured time split among its rows; encoding and decoding too).</summary>
    public event Action<string, double>? DeviceTimeCharged;

    /// <summary>An item started on the device after waiting this long in the replica's queue.</summary>
    public event Action<string, TimeSpan>? ItemStarted;

    /// <summary>An item ended: tenant, kind ("generation", "caption"), outcome ("succeeded", "failed", "cancelled", "deadline").</summary>
    public event Action<string, string, string>? ItemEnded;

    public int QueueDepth
    {
        get { lock (gate) return scheduler.Count; }
    }

    public RunnerStats Stats
    {
        get
        {
            lock (gate)
                return new RunnerStats(scheduler.Count, steps, rowSteps, items, TimeSpan.FromSeconds(busyTicks / (double)Stopwatch.Frequency), maxRowsSeen, deadlineDrops, preemptions, expiredStarts);
        }
    }

    /// <summary>Per-tenant use of this replica since it started.</summary>
    public IReadOnlyList<TenantUsageRecord> Usage()
    {
        lock (gate)
            return scheduler.Standings().Select(s =>
            {
                var tally = tallies.GetValueOrDefault(s.Tenant) ?? new TenantTally();
                return new TenantUsageRecord(s.Tenant, s.DeviceSeconds, tally.Items, tally.QueueWaitSeconds, s.DeadlineDrops);
            }).ToList();
    }

    /// <param name="textNoise">Scale of the text VAE's sampling noise; null is the model's own (its index's default).</param>
    /// <param name="origin">Tenant, weight, priority and deadline (default: an anonymous interactive item without deadline).</param>
    public Task<GeneratedImage> GenerateAsync(string jobId, int index, string prompt, long seed, int steps, double guidance,
        PromptEncodingRecord? cached, ItemProgress? progress = null, double? textNoise = null, WorkOrigin? origin = null)
    {
        var row = new StepRow(Interlocked.Increment(ref nextRowId), RowKind.Generate, new RowSettings(steps, guidance, textNoise), new GenerateInput(prompt, seed, cached));
        var item = new WorkItem<GeneratedImage>(jobId, index, row, origin ?? WorkOrigin.Anonymous, progress);
        Enqueue(item);
        return item.Done.Task;
    }

    public Task<string> CaptionAsync(string jobId, int index, byte[] image, int steps, double guidance, ItemProgress? progress = null,
        WorkOrigin? origin = null)
    {
        var row = new StepRow(Interlocked.Increment(ref nextRowId), RowKind.Caption, new RowSettings(steps, guidance), new CaptionInput(image));
        var item = new WorkItem<string>(jobId, index, row, origin ?? WorkOrigin.Anonymous, progress);
        Enqueue(item);
        return item.Done.Task;
    }

    /// <summary>Drops the job's queued items (their tasks are cancelled); running ones stop at their next step.</summary>
    public void CancelJob(string jobId)
    {
        List<ScheduledWork<WorkItem>> dropped;
        lock (gate) dropped = scheduler.Remove(i => i.JobId == jobId);
        foreach (var work in dropped)
        {
            if (work.Item.Started) releases.Enqueue(work.Item.Row);
            Ended(work.Item, "cancelled", i => i.Cancel());
        }
    }

    private void Enqueue(WorkItem item)
    {
        if (item.Row.Settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(item), item.Row.Settings.Steps, "an item needs at least one step");
        lock (gate)
        {
            if (stopping) throw new ObjectDisposedException(nameof(ModelRunner), "the model replica is shutting down");
            if (scheduler.Count >= options.MaxQueueLength)
                throw new ModelQueueFullException($"the model queue on {Device} is full ({options.MaxQueueLength} items)", TimeSpan.FromSeconds(1));
            var origin = item.Origin;
            var ticket = new WorkTicket(origin.Tenant, origin.Weight > 0 ? origin.Weight : options.Scheduling.DefaultWeight, origin.Priority, origin.Deadline,
                item.Row.Settings.Steps * rowStepSeconds);
            var outcome = scheduler.TryEnqueue(item, ticket, DateTimeOffset.UtcNow);
            if (!outcome.Accepted) throw new ModelQueueFullException($"{outcome.Reason} on {Device}", outcome.RetryAfter);
            Monitor.PulseAll(gate);
        }
    }

    private void Run()
    {
        try
        {
            devices = StepDevices.Load(options, Device, logger);
            lock (gate) rowStepSeconds = devices.RowStepSecondsGuess;
            loaded.TrySetResult(devices.Model);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Loading the model on {Device} failed", Device);
            loaded.TrySetException(e);
            lock (gate) stopping = true;
            return;
        }
        try
        {
            while (Admit() is { } joining)
            {
                long started = Stopwatch.GetTimestamp();
                Start(joining);
                StepOnce();
                lock (gate) busyTicks += Stopwatch.GetTimestamp() - started;
            }
        }
        finally
        {
            foreach (var (row, item) in running.ToList()) Leave(row, item, "failed", i => i.Fail(new ObjectDisposedException(nameof(ModelRunner), "the model replica shut down while this item ran")));
            devices.Dispose();
        }
    }

    /// <summary>Waits for work, then takes items for the free slots (null when stopping). Expired items fail on the way.</summary>
    private List<WorkItem>? Admit()
    {
        var expired = new List<ScheduledWork<WorkItem>>();
        var joining = new List<WorkItem>();
        while (releases.TryDequeue(out var released)) devices!.Kinds.GetValueOrDefault(released.Kind)?.Release(released);
        lock (gate)
        {
            while (!stopping && batcher.Count == 0 && scheduler.Count == 0) Monitor.Wait(gate);
            if (stopping) return null;
            if (batcher.Count == 0)
            {
                // An idle device waits briefly for companions, so a burst starts as one batch.
                long until = Stopwatch.GetTimestamp() + (long)(options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
                while (!stopping && scheduler.Count > 0 && scheduler.Count < batcher.FreeSlots)
                {
                    long remaining = until - Stopwatch.GetTimestamp();
                    if (remaining <= 0) break;
                    Monitor.Wait(gate, TimeSpan.FromSeconds(remaining / (double)Stopwatch.Frequency));
                }
                if (stopping) return null;
            }
            var now = DateTimeOffset.UtcNow;
            expired.AddRange(scheduler.DropExpired(now));
            while (joining.Count < batcher.FreeSlots && scheduler.Next(now, expired) is { } work)
            {
                work.Item.Scheduled = work;
                joining.Add(work.Item);
            }
            if (joining.Count == 0 && batcher.FreeSlots == 0 && batcher.Mode == BatchingMode.Continuous && options.Scheduling.Preemption
                && scheduler.ChoosePreemption(running.Values.Select(i => (i.Scheduled!, i.Row.Settings.Steps - i.Row.StepsDone)).ToList(), batcher.MaxRows, now) is { } victim)
            {
                // The victim keeps its state and waits at the head of its tenant's queue; the waiting item takes its row.
                var row = victim.Item.Row;
                batcher.Leave(row);
                running.Remove(row);
                victim.Item.Scheduled = scheduler.Suspend(victim, (row.Settings.Steps - row.StepsDone) * rowStepSeconds);
                preemptions++;
                if (scheduler.Next(now, expired) is { } work)
                {
                    work.Item.Scheduled = work;
                    joining.Add(work.Item);
                }
            }
            deadlineDrops += expired.Count;
        }
        foreach (var work in expired)
        {
            var waited = DateTimeOffset.UtcNow - work.EnqueuedAt;
            Ended(work.Item, "deadline", i => i.Fail(DeadlineMissed(work.Ticket.Deadline, waited)));
        }
        return joining;
    }

    private DeadlineExceededException DeadlineMissed(DateTimeOffset? deadline, TimeSpan waited) =>
        new($"the item's deadline ({deadline:O}) passed before it reached a device (it waited {waited.TotalSeconds:F1} s in the queue of {Device}); it was dropped");

    /// <summary>New rows encode their inputs and join the batch; a row whose input fails fails alone.</summary>
    private void Start(List<WorkItem> joining)
    {
        var live = new List<WorkItem>();
        var joinedAt = DateTimeOffset.UtcNow;
        foreach (var item in joining)
        {
            if (!item.Started && item.Origin.Deadline is { } deadline && joinedAt >= deadline)
            {
                // Its deadline passed between the scheduler's decision and the device: dropped here, still unrun.
                lock (gate)
                {
                    scheduler.DropAtDeadline(item.Scheduled!);
                    deadlineDrops++;
                }
                var waited = joinedAt - item.Scheduled!.EnqueuedAt;
                Ended(item, "deadline", i => i.Fail(DeadlineMissed(deadline, waited)));
                continue;
            }
            if (!item.Started) item.JoinedAt = joinedAt;
            if (item.Started)
            {
                // A preempted item resumes where it stopped.
                lock (gate) running[item.Row] = item;
                batcher.Join(item.Row);
            }
            else if (isCancelled(item.JobId)) Settle(item, "cancelled", i => i.Cancel());
            else if (!devices!.Kinds.ContainsKey(item.Row.Kind))
                Settle(item, "failed", i => i.Fail(new NotSupportedException($"model {devices.Model.Version} cannot do {item.Kind}")));
            else live.Add(item);
        }
        foreach (var group in live.GroupBy(i => i.Row.Kind))
        {
            var rows = group.Select(i => i.Row).ToList();
            var device = devices!.Kinds[group.Key];
            lock (gate)
                foreach (var item in group) running[item.Row] = item;
            long started = Stopwatch.GetTimestamp();
            var failed = RowIsolation.Run(rows, device.Start);
            Charge(rows, Stopwatch.GetElapsedTime(started));
            var now = DateTimeOffset.UtcNow;
            foreach (var item in group)
            {
                var error = failed.FirstOrDefault(f => f.Row == item.Row).Error;
                if (error is not null)
                {
                    logger.LogWarning(error, "An item of job {JobId} failed to start on {Device}", item.JobId, Device);
                    Leave(item.Row, item, "failed", i => i.Fail(error));
                    continue;
                }
                batcher.Join(item.Row);
                item.Started = true;
                var waited = now - item.Scheduled!.EnqueuedAt;
                lock (gate) TallyOf(item.Origin.Tenant).QueueWaitSeconds += waited.TotalSeconds;
                ItemStarted?.Invoke(item.Origin.Tenant, waited);
            }
        }
    }

    /// <summary>One step for every row (one forward per kind), then decoding of the rows that are done, then cancellations.</summary>
    private void StepOnce()
    {
        if (batcher.Count == 0) return;
        deferred = [];
        long stepStarted = Stopwatch.GetTimestamp();
        int rowsInStep = batcher.Count;
        var sampled = new List<StepRow>();
        foreach (var group in batcher.Groups())
        {
            var device = devices!.Kinds[group[0].Kind];
            long started = Stopwatch.GetTimestamp();
            var failed = RowIsolation.Run(group, device.Step);
            var elapsed = Stopwatch.GetElapsedTime(started);
            Charge(group, elapsed);
            if (failed.Count > 0)
                logger.LogWarning(failed[0].Error, "{Count} of {Rows} rows failed a step on {Device}; the others go on", failed.Count, group.Count, Device);
            foreach (var (row, error) in failed) Leave(row, running[row], "failed", i => i.Fail(error));
            var stepped = group.Where(r => failed.All(f => f.Row != r)).ToList();
            sampled.AddRange(batcher.Advance(stepped));
            foreach (var row in stepped) running[row].Progress?.Invoke(row.StepsDone, row.Settings.Steps);
            lock (gate) rowStepSeconds = 0.95 * rowStepSeconds + 0.05 * elapsed.TotalSeconds / group.Count;
        }
        foreach (var group in sampled.GroupBy(r => r.Kind))
        {
            var rows = group.ToList();
            long started = Stopwatch.GetTimestamp();
            var (outputs, failed) = RowIsolation.Run(rows, devices!.Kinds[group.Key].Finish);
            Charge(rows, Stopwatch.GetElapsedTime(started));
            foreach (var (row, error) in failed) Leave(row, running[row], "failed", i => i.Fail(error));
            foreach (var (row, output) in outputs) Leave(row, running[row], "succeeded", i => i.Complete(output));
        }
        foreach (var row in batcher.Rows.Where(r => isCancelled(running[r].JobId)).ToList())
            Leave(row, running[row], "cancelled", i => i.Cancel());
        var took = Stopwatch.GetElapsedTime(stepStarted);
        lock (gate)
        {
            steps++;
            rowSteps += rowsInStep;
            maxRowsSeen = Math.Max(maxRowsSeen, rowsInStep);
        }
        BatchCompleted?.Invoke(rowsInStep, took);
        var ends = deferred;
        deferred = null;
        foreach (var end in ends) end();
    }

    /// <summary>Splits measured device time evenly among the rows that shared it and charges their tenants.</summary>
    private void Charge(IReadOnlyList<StepRow> rows, TimeSpan elapsed)
    {
        if (rows.Count == 0) return;
        double share = elapsed.TotalSeconds / rows.Count;
        var charged = new List<string>(rows.Count);
        lock (gate)
            foreach (var row in rows)
            {
                var item = running.GetValueOrDefault(row);
                if (item?.Scheduled is null) continue;
                // Device time for an item that joined after its deadline: never, by the checks above; counted to show it.
                if (item.JoinedAt is { } joined && item.Origin.Deadline is { } deadline && joined >= deadline) expiredStarts++;
                scheduler.Charge(item.Scheduled, share);
                charged.Add(item.Origin.Tenant);
            }
        foreach (var tenant in charged) DeviceTimeCharged?.Invoke(tenant, share);
    }

    /// <summary>A row leaves the batch and the device (its state freed), and its item ends.</summary>
    private void Leave(StepRow row, WorkItem item, string outcome, Action<WorkItem> end)
    {
        batcher.Leave(row);
        devices?.Kinds.GetValueOrDefault(row.Kind)?.Release(row);
        lock (gate) running.Remove(row);
        Settle(item, outcome, end);
    }

    /// <summary>An item that was taken from the scheduler ends: its reservation is settled, its task completed.</summary>
    private void Settle(WorkItem item, string outcome, Action<WorkItem> end)
    {
        lock (gate)
        {
            if (item.Scheduled is { } work) scheduler.Complete(work);
            if (outcome == "succeeded")
            {
                items++;
                TallyOf(item.Origin.Tenant).Items++;
            }
        }
        Ended(item, outcome, end);
    }

    private void Ended(WorkItem item, string outcome, Action<WorkItem> end)
    {
        if (deferred is not null)
        {
            deferred.Add(() => Ended(item, outcome, end));
            return;
        }
        end(item);
        ItemEnded?.Invoke(item.Origin.Tenant, item.Kind, outcome);
    }

    /// <summary>Inside a step, items end after the step's counters moved, so a caller who got a result sees it counted.</summary>
    private List<Action>? deferred;

    private TenantTally TallyOf(string tenant)
    {
        if (!tallies.TryGetValue(tenant, out var tally)) tallies[tenant] = tally = new TenantTally();
        return tally;
    }

    public void Dispose()
    {
        List<ScheduledWork<WorkItem>> pending;
        lock (gate)
        {
            stopping = true;
            pending = scheduler.Remove(_ => true);
            Monitor.PulseAll(gate);
        }
        foreach (var work in pending)
            Ended(work.Item, "failed", i => i.Fail(new ObjectDisposedException(nameof(ModelRunner), "the model replica shut down before this item ran")));
        thread.Join(TimeSpan.FromSeconds(30));
    }

    private sealed class TenantTally
    {
        public long Items { get; set; }
        public double QueueWaitSeconds { get; set; }
    }
}

/// <summary>The replica's bounded queue (or the tenant's share of it) is full: retry later (the gateway answers 429).</summary>
public sealed class ModelQueueFullException(string message, TimeSpan retryAfter) : Exception(message)
{
    public ModelQueueFullException(string message) : this(message, TimeSpan.FromSeconds(1))
    {
    }

    public TimeSpan RetryAfter { get; } = retryAfter;
}
