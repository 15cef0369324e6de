using System.Diagnostics;
using FlowTok.Grains.Batching;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Models;

/// <summary>
/// The device thread's loop of one replica: at each step boundary items from the <see cref="ReplicaQueue"/> join (new rows
/// encode their inputs, preempted ones resume), every kind's rows take one step in one forward, fully sampled rows are
/// decoded and leave. Measured device time is split among the rows that shared it and charged to their tenants: each
/// iteration's whole wall time (the device's busy time), so the tenants' device seconds add up to it; see
/// <see cref="Account"/>. A row that fails fails alone; a cancelled job's rows leave at the next step; an expired item ends
/// without using the device.
/// </summary>
internal sealed class StepLoop(StepDevices devices, StepBatcher batcher, ReplicaQueue queue, ReplicaTally tally, ReplicaEvents events,
    Func<string, bool> isCancelled, string device, ILogger logger)
{
    private readonly Dictionary<StepRow, WorkItem> running = [];
    /// <summary>Inside an iteration, items end after its counters and charges moved, so a caller who got a result sees it
    /// counted and charged.</summary>
    private List<Action>? deferred;
    /// <summary>The iteration's measured parts (start, step, preview, decode), each split evenly among its rows.</summary>
    private readonly List<(WorkItem Item, double Seconds)> measured = [];
    private int rowsStepped;

    /// <summary>Runs until the queue stops; then the rows still running fail and the devices are freed.</summary>
    public void Run()
    {
        try
        {
            while (true)
            {
                foreach (var row in queue.TakeReleased()) devices.Kinds.GetValueOrDefault(row.Kind)?.Release(row);
                if (queue.Take(batcher, running.Values) is not { } intake) return;
                long started = Stopwatch.GetTimestamp();
                deferred = [];
                Admit(intake);
                StepOnce();
                Account(Stopwatch.GetTimestamp() - started);
                EndDeferred();
            }
        }
        finally
        {
            EndDeferred();
            foreach (var (row, item) in running.ToList()) Leave(row, item, "failed", i => i.Fail(new ObjectDisposedException(nameof(ModelRunner), "the model replica shut down while this item ran")));
            devices.Dispose();
        }
    }

    private void Admit(Intake intake)
    {
        foreach (var victim in intake.Preempted)
        {
            batcher.Leave(victim.Row);
            running.Remove(victim.Row);
        }
        foreach (var work in intake.Expired)
            End(work.Item, "deadline", i => i.Fail(DeadlineMissed(work.Ticket.Deadline, DateTimeOffset.UtcNow - work.EnqueuedAt)));
        Start(intake.Joining);
    }

    private DeadlineExceededException DeadlineMissed(DateTimeOffset? deadline, TimeSpan waited) =>
        new($"the item's deadline ({deadline:O}) passed before it reached a device (it waited {waited.TotalSeconds:F1} s in the queue of {device}); it was dropped");

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
                queue.DropAtDeadline(item.Scheduled!);
                End(item, "deadline", i => i.Fail(DeadlineMissed(deadline, joinedAt - item.Scheduled!.EnqueuedAt)));
                continue;
            }
            if (!item.Started) item.JoinedAt = joinedAt;
            if (item.Started)
            {
                // A preempted item resumes where it stopped.
                running[item.Row] = item;
                batcher.Join(item.Row);
            }
            else if (isCancelled(item.JobId)) Settle(item, "cancelled", i => i.Cancel());
            else if (!devices.Kinds.ContainsKey(item.Row.Kind))
                Settle(item, "failed", i => i.Fail(new NotSupportedException($"model {devices.Model.Version} cannot do {item.Kind}")));
            else live.Add(item);
        }
        foreach (var group in live.GroupBy(i => i.Row.Kind))
        {
            var rows = group.Select(i => i.Row).ToList();
            foreach (var item in group) running[item.Row] = item;
            long started = Stopwatch.GetTimestamp();
            var failed = RowIsolation.Run(rows, devices.Kinds[group.Key].Start);
            Charge(rows, Stopwatch.GetElapsedTime(started));
            var now = DateTimeOffset.UtcNow;
            foreach (var item in group)
            {
                ItemTracing.Phase(item, ItemTracing.QueueWait, item.Scheduled!.EnqueuedAt, joinedAt, rows.Count);
                ItemTracing.Phase(item, ItemTracing.Encode, joinedAt, now, rows.Count);
                var error = failed.FirstOrDefault(f => f.Row == item.Row).Error;
                if (error is not null)
                {
                    logger.LogWarning(error, "An item of job {JobId} failed to start on {Device}", item.JobId, device);
                    Leave(item.Row, item, "failed", i => i.Fail(error));
                    continue;
                }
                batcher.Join(item.Row);
                item.Started = true;
                var waited = now - item.Scheduled!.EnqueuedAt;
                tally.Waited(item.Origin.Tenant, waited);
                events.Started(item.Origin.Tenant, waited);
            }
        }
    }

    /// <summary>One step for every row (one forward per kind), then decoding of the rows that are done, then cancellations.</summary>
    private void StepOnce()
    {
        if (batcher.Count == 0) return;
        long stepStarted = Stopwatch.GetTimestamp();
        int rowsInStep = batcher.Count;
        var sampled = new List<StepRow>();
        foreach (var group in batcher.Groups())
        {
            long started = Stopwatch.GetTimestamp();
            var stepStart = DateTimeOffset.UtcNow;
            var failed = RowIsolation.Run(group, devices.Kinds[group[0].Kind].Step);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var stepEnd = DateTimeOffset.UtcNow;
            foreach (var row in group) ItemTracing.Phase(running[row], ItemTracing.Step, stepStart, stepEnd, group.Count, row.StepsDone + 1);
            Charge(group, elapsed);
            if (failed.Count > 0)
                logger.LogWarning(failed[0].Error, "{Count} of {Rows} rows failed a step on {Device}; the others go on", failed.Count, group.Count, device);
            foreach (var (row, error) in failed) Leave(row, running[row], "failed", i => i.Fail(error));
            var stepped = group.Where(r => failed.All(f => f.Row != r)).ToList();
            sampled.AddRange(batcher.Advance(stepped));
            foreach (var row in stepped)
                if (running[row] is { Progress: { } progress } item)
                    using (ItemTracing.Within(item)) progress(row.StepsDone, row.Settings.Steps);
            Preview(stepped);
        }
        foreach (var group in sampled.GroupBy(r => r.Kind))
        {
            var rows = group.ToList();
            long started = Stopwatch.GetTimestamp();
            var decodeStart = DateTimeOffset.UtcNow;
            var (outputs, failed) = RowIsolation.Run(rows, devices.Kinds[group.Key].Finish);
            Charge(rows, Stopwatch.GetElapsedTime(started));
            var decodeEnd = DateTimeOffset.UtcNow;
            foreach (var row in rows) ItemTracing.Phase(running[row], ItemTracing.Decode, decodeStart, decodeEnd, rows.Count);
            foreach (var (row, error) in failed) Leave(row, running[row], "failed", i => i.Fail(error));
            foreach (var (row, output) in outputs) Leave(row, running[row], "succeeded", i => i.Complete(output));
        }
        foreach (var row in batcher.Rows.Where(r => isCancelled(running[r].JobId)).ToList())
            Leave(row, running[row], "cancelled", i => i.Cancel());
        var took = Stopwatch.GetElapsedTime(stepStarted);
        tally.Step(rowsInStep);
        rowsStepped = rowsInStep;
        events.Stepped(rowsInStep, took);
    }

    /// <summary>
    /// Rows whose step was one of their preview steps are previewed together (one decode), charged like any device work,
    /// and their items told. A preview that fails is logged and skipped: the row goes on, its image is unaffected.
    /// </summary>
    private void Preview(IReadOnlyList<StepRow> stepped)
    {
        var due = stepped.Where(r => r.PreviewDue is not null && !r.Sampled).ToList();
        if (due.Count == 0) return;
        long started = Stopwatch.GetTimestamp();
        var (pngs, failed) = RowIsolation.Run(due, devices.Kinds[due[0].Kind].Preview);
        Charge(due, Stopwatch.GetElapsedTime(started));
        if (failed.Count > 0)
            logger.LogWarning(failed[0].Error, "{Count} of {Rows} previews failed on {Device}; their rows go on", failed.Count, due.Count, device);
        foreach (var (row, png) in pngs)
            if (running[row] is { Preview: { } preview } item)
                using (ItemTracing.Within(item)) preview(row.PreviewDue!.Value, row.StepsDone, row.Settings.Steps, png);
    }

    /// <summary>Splits a measured part of the iteration evenly among the rows that shared it (charged at its end).</summary>
    private void Charge(IReadOnlyList<StepRow> rows, TimeSpan elapsed)
    {
        if (rows.Count == 0) return;
        double share = elapsed.TotalSeconds / rows.Count;
        foreach (var row in rows)
            if (running.GetValueOrDefault(row) is { Scheduled: not null } item) measured.Add((item, share));
    }

    /// <summary>
    /// Charges the iteration's busy time (its wall time: starting rows, stepping, previews, decoding, and the host work
    /// between them) to the items that used it, in proportion to their measured parts, so the tenants' device seconds add
    /// up to the busy time; the scheduler's cost estimate learns the same busy time per row-step. An iteration in which no
    /// row used the device (only expired or cancelled items) counts as idle.
    /// </summary>
    private void Account(long busyTicks)
    {
        double total = measured.Sum(m => m.Seconds);
        if (measured.Count == 0 || total <= 0)
        {
            measured.Clear();
            rowsStepped = 0;
            return;
        }
        double busy = busyTicks / (double)Stopwatch.Frequency, scale = busy / total;
        tally.Busy(busyTicks);
        if (rowsStepped > 0) queue.Observe(TimeSpan.FromSeconds(busy), rowsStepped);
        var byTenant = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (item, seconds) in measured)
        {
            // Device time for an item that joined after its deadline: never, by the check in Start; counted to show it.
            if (item.JoinedAt is { } joined && item.Origin.Deadline is { } deadline && joined >= deadline) tally.ExpiredStart();
            queue.Charge(item.Scheduled!, seconds * scale);
            byTenant[item.Origin.Tenant] = byTenant.GetValueOrDefault(item.Origin.Tenant) + seconds * scale;
        }
        foreach (var (tenant, seconds) in byTenant) events.Charged(tenant, seconds);
        measured.Clear();
        rowsStepped = 0;
    }

    private void EndDeferred()
    {
        var ends = deferred;
        deferred = null;
        foreach (var end in ends ?? []) end();
    }

    /// <summary>A row leaves the batch and the device (its state freed), and its item ends.</summary>
    private void Leave(StepRow row, WorkItem item, string outcome, Action<WorkItem> end)
    {
        batcher.Leave(row);
        devices.Kinds.GetValueOrDefault(row.Kind)?.Release(row);
        running.Remove(row);
        Settle(item, outcome, end);
    }

    /// <summary>An item that was taken from the queue ends: its reservation is settled, its task completed.</summary>
    private void Settle(WorkItem item, string outcome, Action<WorkItem> end)
    {
        if (item.Scheduled is { } work) queue.Complete(work);
        if (outcome == "succeeded") tally.Succeeded(item.Origin.Tenant);
        End(item, outcome, end);
    }

    private void End(WorkItem item, string outcome, Action<WorkItem> end)
    {
        if (deferred is not null) deferred.Add(() => events.Ended(item, outcome, end));
        else events.Ended(item, outcome, end);
    }
}
