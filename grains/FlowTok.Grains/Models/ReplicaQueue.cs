using System.Diagnostics;
using FlowTok.Grains.Batching;
using FlowTok.Grains.Scheduling;

namespace FlowTok.Grains.Models;

/// <summary>
/// A replica's queue, shared between the callers who add work and the device thread that takes it: the fair scheduler
/// behind one lock, the wait for work (and, at an idle device, briefly for companions), deadline drops, preemption at a
/// full step boundary, and the running cost estimate the scheduler's reservations use. Plain code: no device, no libtorch.
/// </summary>
internal sealed class ReplicaQueue
{
    private readonly object gate = new();
    private readonly ModelHostingOptions options;
    private readonly string device;
    private readonly FairScheduler<WorkItem> scheduler;
    /// <summary>Rows of started items removed while preempted: their state is freed on the device thread.</summary>
    private readonly List<StepRow> released = [];
    private bool stopping;
    private long deadlineDrops, preemptions;
    /// <summary>Device seconds one row-step costs (moving average of measurements): the scheduler's cost estimate.</summary>
    private double rowStepSeconds = 0.01;

    public ReplicaQueue(ModelHostingOptions options, string device)
    {
        this.options = options;
        this.device = device;
        scheduler = new FairScheduler<WorkItem>(new SchedulerOptions
        {
            MaxQueuedItems = options.MaxQueueLength,
            BatchMinimumShare = options.Scheduling.BatchMinimumShare,
            // Tenants' queue shares are enforced where a refusal can be answered (platform admission: 429 + Retry-After). Here
            // a refusal would only make the consumer retry the message, so every tenant may use the whole replica queue.
            MinQueuedItemsPerTenant = options.MaxQueueLength,
            DefaultWeight = options.Scheduling.DefaultWeight,
        });
    }

    public int Count
    {
        get { lock (gate) return scheduler.Count; }
    }

    public (long DeadlineDrops, long Preemptions) Counts
    {
        get { lock (gate) return (deadlineDrops, preemptions); }
    }

    public double RowStepSeconds
    {
        get { lock (gate) return rowStepSeconds; }
        set { lock (gate) rowStepSeconds = value; }
    }

    /// <summary>A step of <paramref name="rows"/> rows took <paramref name="elapsed"/>: the estimate moves 5 % towards it.</summary>
    public void Observe(TimeSpan elapsed, int rows)
    {
        lock (gate) rowStepSeconds = 0.95 * rowStepSeconds + 0.05 * elapsed.TotalSeconds / rows;
    }

    /// <summary>Queues an item, or throws: <see cref="ModelQueueFullException"/> when full, <see cref="ObjectDisposedException"/> when stopping.</summary>
    public void Add(WorkItem item)
    {
        if (item.Row.Settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(item), item.Row.Settings.Steps, "an item needs at least one step");
        lock (gate)
        {
            if (stopping) throw new ObjectDisposedException(nameof(ModelRunner), "the model replica is shutting down");
            if (scheduler.Count >= options.MaxQueueLength)
                throw new ModelQueueFullException($"the model queue on {device} is full ({options.MaxQueueLength} items)", TimeSpan.FromSeconds(1));
            var origin = item.Origin;
            var ticket = new WorkTicket(origin.Tenant, origin.Weight > 0 ? origin.Weight : options.Scheduling.DefaultWeight, origin.Priority, origin.Deadline,
                item.Row.Settings.Steps * rowStepSeconds);
            var outcome = scheduler.TryEnqueue(item, ticket, DateTimeOffset.UtcNow);
            if (!outcome.Accepted) throw new ModelQueueFullException($"{outcome.Reason} on {device}", outcome.RetryAfter);
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Removes a job's queued items (a preempted one's row is kept for <see cref="TakeReleased"/>).</summary>
    public List<ScheduledWork<WorkItem>> RemoveJob(string jobId)
    {
        lock (gate)
        {
            var removed = scheduler.Remove(i => i.JobId == jobId);
            released.AddRange(removed.Where(w => w.Item.Started).Select(w => w.Item.Row));
            return removed;
        }
    }

    /// <summary>Rows whose state the device thread must free (see <see cref="RemoveJob"/>).</summary>
    public List<StepRow> TakeReleased()
    {
        lock (gate)
        {
            var rows = released.ToList();
            released.Clear();
            return rows;
        }
    }

    /// <summary>Takes no more work (the device failed to load); what is queued stays until <see cref="Stop"/>.</summary>
    public void Close()
    {
        lock (gate) stopping = true;
    }

    /// <summary>Takes no more work and wakes the device thread; returns what was still queued.</summary>
    public List<ScheduledWork<WorkItem>> Stop()
    {
        lock (gate)
        {
            stopping = true;
            var pending = scheduler.Remove(_ => true);
            Monitor.PulseAll(gate);
            return pending;
        }
    }

    /// <summary>
    /// Waits for work, then takes items for the batcher's free slots; null when stopping. Items whose deadline passed are
    /// taken out on the way (<see cref="Intake.Expired"/>). Batch rows beyond what Scheduling:RowsWithInteractive allows beside
    /// interactive work give up their rows; with no free slot, a waiting tenant under its share may take the row of one
    /// furthest above it (<see cref="Intake.Preempted"/>: each keeps its state and waits at its tenant's head).
    /// </summary>
    public Intake? Take(StepBatcher batcher, IReadOnlyCollection<WorkItem> running)
    {
        var expired = new List<ScheduledWork<WorkItem>>();
        var joining = new List<WorkItem>();
        var preempted = new List<WorkItem>();
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
            var rows = running.Select(i => (Work: i.Scheduled!, StepsLeft: i.Row.Settings.Steps - i.Row.StepsDone)).ToList();
            int batchAllowed = BatchRowsAllowed(batcher, running);
            foreach (var victim in scheduler.TrimBatch(rows, batchAllowed)) preempted.Add(Suspend(victim));
            // Under Scheduling:RowsBesideLightTenants, heavy tenants keep what the cap leaves beside the light tenants' rows
            // (running and waiting); their other rows wait.
            int rowsAllowed = batcher.MaxRows, heavyRoom = int.MaxValue, heavyRows = 0;
            IReadOnlySet<string> heavy = new HashSet<string>();
            if (LightTenantsCap(batcher, rows) is { } light)
            {
                (rowsAllowed, heavyRoom, heavy) = (light.Cap, light.Cap - light.Rows, light.Heavy);
                var stillRunning = rows.Where(r => !preempted.Contains(r.Work.Item)).ToList();
                foreach (var victim in scheduler.TrimTenants(stillRunning, heavyRoom, heavy)) preempted.Add(Suspend(victim));
                heavyRows = stillRunning.Count(r => heavy.Contains(r.Work.Ticket.Tenant) && !preempted.Contains(r.Work.Item));
            }
            int batchRows = running.Count(i => i.Scheduled!.Ticket.Priority == WorkPriority.Batch) - preempted.Count(i => i.Scheduled!.Ticket.Priority == WorkPriority.Batch);
            int stays = running.Count - preempted.Count;
            while (joining.Count < batcher.FreeSlots + preempted.Count && stays + joining.Count < rowsAllowed)
            {
                // Beyond the rows batch may hold beside interactive work, only interactive items join; beyond the heavy
                // tenants' rows beside light ones, only light tenants' items.
                var only = scheduler.NextClass == WorkPriority.Batch && batchRows >= batchAllowed ? WorkPriority.Interactive : (WorkPriority?)null;
                Func<string, bool>? tenants = heavyRows >= heavyRoom ? t => !heavy.Contains(t) : null;
                if (Next(now, expired, only, tenants) is not { } item) break;
                joining.Add(item);
                if (item.Scheduled!.Ticket.Priority == WorkPriority.Batch) batchRows++;
                if (heavy.Contains(item.Scheduled.Ticket.Tenant)) heavyRows++;
            }
            if (joining.Count == 0 && preempted.Count == 0 && batcher.FreeSlots == 0 && rowsAllowed == batcher.MaxRows && batcher.Mode == BatchingMode.Continuous && options.Scheduling.Preemption
                && scheduler.ChoosePreemption(rows, batcher.MaxRows, now) is { } chosen)
            {
                preempted.Add(Suspend(chosen));
                if (Next(now, expired) is { } item) joining.Add(item);
            }
            deadlineDrops += expired.Count;
        }
        return new Intake(joining, expired, preempted);
    }

    /// <summary>
    /// Batch rows allowed in the next step: all of them, unless Scheduling:RowsWithInteractive is set and interactive work
    /// runs or waits; then what that many rows leave beside the interactive rows (running, and waiting ones that fit), never
    /// less than batch's guaranteed rows.
    /// </summary>
    private int BatchRowsAllowed(StepBatcher batcher, IReadOnlyCollection<WorkItem> running)
    {
        int cap = options.Scheduling.RowsWithInteractive;
        int interactive = running.Count(i => i.Scheduled!.Ticket.Priority == WorkPriority.Interactive) + scheduler.QueuedOf(WorkPriority.Interactive);
        if (cap <= 0 || interactive == 0 || batcher.Mode != BatchingMode.Continuous) return batcher.MaxRows;
        return Math.Max(scheduler.BatchRowsKept(batcher.MaxRows), cap - Math.Min(interactive, batcher.MaxRows));
    }

    /// <summary>
    /// The rows a step may hold under Scheduling:RowsBesideLightTenants: null (no limit) unless it is set, the device batches
    /// continuously, and a light tenant and a heavy one both have work; then the cap (at least the light tenants' rows, up to
    /// the device's), the light tenants' rows (running and waiting, each at most its demand) and the heavy tenants.
    /// </summary>
    private (int Cap, int Rows, IReadOnlySet<string> Heavy)? LightTenantsCap(StepBatcher batcher, IReadOnlyList<(ScheduledWork<WorkItem> Work, int StepsLeft)> rows)
    {
        int cap = options.Scheduling.RowsBesideLightTenants;
        if (cap <= 0 || batcher.Mode != BatchingMode.Continuous) return null;
        var (light, heavy) = scheduler.ClassifyDemand(rows, batcher.MaxRows);
        if (light.Count == 0 || heavy.Count == 0) return null;
        int lightRows = Math.Min(light.Values.Sum(), batcher.MaxRows);
        return (Math.Clamp(cap, lightRows, batcher.MaxRows), lightRows, heavy);
    }

    /// <summary>A running item gives up its row at this step boundary and waits at its tenant's head with its state.</summary>
    private WorkItem Suspend(ScheduledWork<WorkItem> work)
    {
        var row = work.Item.Row;
        work.Item.Scheduled = scheduler.Suspend(work, (row.Settings.Steps - row.StepsDone) * rowStepSeconds);
        preemptions++;
        return work.Item;
    }

    private WorkItem? Next(DateTimeOffset now, List<ScheduledWork<WorkItem>> expired, WorkPriority? only = null, Func<string, bool>? tenants = null)
    {
        if (scheduler.Next(now, expired, only, tenants) is not { } work) return null;
        work.Item.Scheduled = work;
        return work.Item;
    }

    /// <summary>An item taken for the device whose deadline passed before it joined: dropped, its reservation returned.</summary>
    public void DropAtDeadline(ScheduledWork<WorkItem> work)
    {
        lock (gate)
        {
            scheduler.DropAtDeadline(work);
            deadlineDrops++;
        }
    }

    public void Charge(ScheduledWork<WorkItem> work, double deviceSeconds)
    {
        lock (gate) scheduler.Charge(work, deviceSeconds);
    }

    /// <summary>An item taken from the queue ended: its reservation is settled.</summary>
    public void Complete(ScheduledWork<WorkItem> work)
    {
        lock (gate) scheduler.Complete(work);
    }

    /// <summary>
    /// Where the job's first waiting item stands: 1 + the items queued before it (arrival order; the fair scheduler may
    /// start another tenant's item sooner or later). Null when none of its items waits here. Only a number: nothing of the
    /// items ahead.
    /// </summary>
    public int? PositionOf(string jobId)
    {
        lock (gate)
        {
            int ahead = 0;
            foreach (var work in scheduler.Queued())
            {
                if (work.Item.JobId == jobId) return ahead + 1;
                ahead++;
            }
            return null;
        }
    }

    /// <summary>Device seconds the queued items are expected to cost: their steps left times the measured cost of a row-step.</summary>
    public double QueuedDeviceSeconds
    {
        get
        {
            lock (gate)
                return scheduler.Queued().Sum(w => Math.Max(0, w.Item.Row.Settings.Steps - w.Item.Row.StepsDone)) * rowStepSeconds;
        }
    }

    public IReadOnlyList<TenantStanding> Standings()
    {
        lock (gate) return scheduler.Standings();
    }
}

/// <summary>What the device thread takes at a step boundary: items that join, items whose deadline passed, and the running
/// items whose rows were given up (to a waiting tenant, or to interactive work under Scheduling:RowsWithInteractive).</summary>
internal sealed record Intake(List<WorkItem> Joining, List<ScheduledWork<WorkItem>> Expired, List<WorkItem> Preempted);
