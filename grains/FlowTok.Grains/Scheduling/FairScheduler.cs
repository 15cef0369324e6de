namespace FlowTok.Grains.Scheduling;

/// <summary>
/// Decides which item a device takes next. Plain code over plain data: not thread-safe (its owner locks), no clock of its
/// own (callers pass "now"), no knowledge of devices beyond the device seconds they report.
/// <list type="bullet">
/// <item>Tenants share device time by weight: start-time fair queuing over virtual time. Each tenant's virtual time is the
/// device seconds it used divided by its weight; the next item is the head of the backlogged tenant with the least. An
/// item's estimated cost is reserved when it starts (so a tenant that just got rows does not also win the next slot) and
/// settled against the measured cost (<see cref="Charge"/>, <see cref="Complete"/>).</item>
/// <item>Work-conserving, no banking: a tenant that was idle re-enters at the least virtual time of the active tenants,
/// so idle time neither wastes the device (others use it) nor becomes credit it could burst with later.</item>
/// <item>Priorities: interactive goes first, except that batch work is taken whenever its class is behind its guaranteed
/// share (<see cref="SchedulerOptions.BatchMinimumShare"/>; the two classes keep virtual times of their own in the same
/// way and the one whose next item finishes first in it goes), so batch work is never starved.</item>
/// <item>Deadlines: an item whose deadline passed is dropped before it uses a device and returned to the caller to fail.</item>
/// <item>Bounds: a tenant beyond its share of queued items is refused (<see cref="QueueBounds"/>).</item>
/// </list>
/// </summary>
public sealed class FairScheduler<T>
{
    private const int Classes = 2;

    private readonly SchedulerOptions options;
    private readonly Dictionary<string, Tenant> tenants = new(StringComparer.Ordinal);
    private readonly Class[] classes;
    private long sequence;
    private double idleTenantVirtualTime;

    public FairScheduler(SchedulerOptions options)
    {
        options.Validate();
        this.options = options;
        classes =
        [
            new Class(1 - options.BatchMinimumShare), // interactive
            new Class(options.BatchMinimumShare),     // batch
        ];
    }

    /// <summary>Items queued (not running), all tenants.</summary>
    public int Count { get; private set; }

    public int QueuedFor(string tenant) => tenants.TryGetValue(tenant, out var t) ? t.QueuedCount : 0;

    /// <summary>Queues an item, or refuses it when its tenant holds its share of the queue already.</summary>
    public EnqueueOutcome TryEnqueue(T item, WorkTicket ticket, DateTimeOffset now)
    {
        if (!(ticket.Weight > 0)) throw new ArgumentOutOfRangeException(nameof(ticket), ticket.Weight, "a tenant's weight must be positive");
        var tenant = TenantOf(ticket.Tenant);
        tenant.Weight = ticket.Weight;
        double others = tenants.Values.Where(t => t != tenant && t.QueuedCount > 0).Sum(t => t.Weight);
        int limit = QueueBounds.TenantLimit(options.MaxQueuedItems, options.MinQueuedItemsPerTenant, tenant.Weight, others);
        if (!QueueBounds.Fits(tenant.QueuedCount, 1, limit))
            return new EnqueueOutcome(false,
                $"tenant '{tenant.Name}' has {tenant.QueuedCount} items queued on this replica, its share of the queue ({limit} of {options.MaxQueuedItems} at weight {tenant.Weight:0.##})",
                RetryAfter(tenant, others));

        var cls = classes[(int)ticket.Priority];
        if (!tenant.Active) tenant.VirtualTime = Math.Max(tenant.VirtualTime, TenantVirtualTimeFloor(tenant));
        if (!cls.Active)
        {
            var other = classes[1 - (int)ticket.Priority];
            // Level with what the other class has used, not what its running items reserved (as for tenants).
            if (other.Active) cls.VirtualTime = Math.Max(cls.VirtualTime, other.UsedVirtualTime);
        }
        var work = new ScheduledWork<T>(item, ticket, now, sequence++);
        tenant.Queues[(int)ticket.Priority].AddLast(work);
        cls.Queued++;
        Count++;
        return EnqueueOutcome.Queued;
    }

    /// <summary>
    /// The next item to run (its estimated cost reserved), or null when nothing is queued. Items whose deadline passed
    /// on the way are added to <paramref name="expired"/> instead (they never reach the device).
    /// </summary>
    /// <param name="only">take only from this class (null: the class whose turn it is)</param>
    /// <param name="tenantAllowed">take only from the tenants it allows (null: any); null when none of them has work in the class</param>
    public ScheduledWork<T>? Next(DateTimeOffset now, ICollection<ScheduledWork<T>> expired, WorkPriority? only = null, Func<string, bool>? tenantAllowed = null)
    {
        while (Count > 0)
        {
            if (only is { } o && classes[(int)o].Queued == 0) return null;
            var priority = only ?? PickClass();
            var cls = classes[(int)priority];
            if (PickTenant(priority, tenantAllowed) is not { } best) return null;
            var work = best.Queues[(int)priority].First!.Value;
            best.Queues[(int)priority].RemoveFirst();
            cls.Queued--;
            Count--;
            if (work.Ticket.Expired(now))
            {
                best.DeadlineDrops++;
                expired.Add(work);
                continue;
            }
            double cost = Math.Max(0, work.Ticket.EstimatedCost);
            work.Reserved = cost;
            best.Reserved += cost;
            work.Running = true;
            best.Running++;
            cls.Running++;
            best.VirtualTime += cost / best.Weight;
            cls.VirtualTime += cost / cls.Share;
            cls.Reserved += cost;
            return work;
        }
        return null;
    }

    /// <summary>The backlogged tenant of a class with the least virtual time (ties: the earliest queued head), of those
    /// <paramref name="allowed"/> allows; null when none.</summary>
    private Tenant? PickTenant(WorkPriority priority, Func<string, bool>? allowed = null)
    {
        Tenant? best = null;
        foreach (var t in tenants.Values)
        {
            if (t.Queues[(int)priority].First is not { } head || (allowed is not null && !allowed(t.Name))) continue;
            // Ties (an arriving tenant starts at the others' virtual time) go to the tenant holding fewer rows for its weight,
            // then to the older item: a newcomer is not kept behind a flood whose reservations have not been charged yet.
            if (best is null || t.VirtualTime < best.VirtualTime
                || (t.VirtualTime == best.VirtualTime && (t.Running / t.Weight < best.Running / best.Weight
                    || (t.Running / t.Weight == best.Running / best.Weight && head.Value.Sequence < best.Queues[(int)priority].First!.Value.Sequence))))
                best = t;
        }
        return best;
    }

    /// <summary>
    /// Preemption at a step boundary when the device is full. Two reasons, checked in this order:
    /// <list type="number">
    /// <item>Tenants: the item that would start next belongs to a tenant holding fewer rows than its weighted share of the
    /// device's <paramref name="maxRows"/> (among the tenants with work running or queued); the running item of the tenant
    /// furthest above its own share gives up its row.</item>
    /// <item>Priorities: the next item is interactive and batch work holds more rows than its guaranteed minimum
    /// (<see cref="BatchRowsKept"/>); a batch row gives up its row, taken from the waiting item's own tenant or from a tenant
    /// that stays at least as far above its share as the waiting tenant will be (so no tenant loses its share to another's
    /// interactive work).</item>
    /// </list>
    /// Of the chosen tenant's rows, the one with the most steps left goes. Null when neither applies. Without this, an
    /// interactive one-image request waits for a flood's rows to finish (up to a whole sampling run); with it, it starts at
    /// the next step.
    /// </summary>
    /// <param name="running">the running items, with the steps each has left</param>
    public ScheduledWork<T>? ChoosePreemption(IReadOnlyList<(ScheduledWork<T> Work, int StepsLeft)> running, int maxRows, DateTimeOffset now)
    {
        if (Count == 0 || running.Count < maxRows) return null;
        var priority = PickClass();
        var waiting = PickTenant(priority)!;
        var head = waiting.Queues[(int)priority].First!.Value;
        if (head.Ticket.Expired(now)) return null;
        var rows = running.GroupBy(r => r.Work.Ticket.Tenant).ToDictionary(g => g.Key, g => g.Count());
        double totalWeight = tenants.Values.Where(t => t.Active).Sum(t => t.Weight);
        double Excess(Tenant t, int delta = 0) => rows.GetValueOrDefault(t.Name) + delta - maxRows * t.Weight / totalWeight;
        ScheduledWork<T> MostStepsLeft(IEnumerable<(ScheduledWork<T> Work, int StepsLeft)> of) => of.OrderByDescending(r => r.StepsLeft).First().Work;

        if (Excess(waiting, 1) <= 0)
        {
            var over = rows.Select(r => (Tenant: tenants[r.Key], Excess: Excess(tenants[r.Key])))
                .Where(r => r.Excess >= 1).OrderByDescending(r => r.Excess).FirstOrDefault();
            if (over.Tenant is not null) return MostStepsLeft(running.Where(r => r.Work.Ticket.Tenant == over.Tenant.Name));
        }

        if (priority != WorkPriority.Interactive) return null;
        var batchRows = running.Where(r => r.Work.Ticket.Priority == WorkPriority.Batch).ToList();
        if (batchRows.Count <= BatchRowsKept(maxRows)) return null;
        var candidates = batchRows.Where(r =>
        {
            var owner = tenants[r.Work.Ticket.Tenant];
            return owner == waiting || Excess(owner, -1) / owner.Weight >= Excess(waiting, 1) / waiting.Weight;
        }).ToList();
        if (candidates.Count == 0) return null;
        var victim = MostStepsLeft(candidates.GroupBy(r => r.Work.Ticket.Tenant).OrderByDescending(g => Excess(tenants[g.Key])).First());
        // Suspending returns the victim's unused reservation to batch's virtual time: if batch would then be behind its share,
        // the freed row would go straight back to batch work, so there is nothing to gain.
        var batch = classes[(int)WorkPriority.Batch];
        double batchTagAfter = FinishTag(batch, WorkPriority.Batch, victim.Reserved);
        return batchTagAfter >= FinishTag(classes[(int)WorkPriority.Interactive], WorkPriority.Interactive) ? victim : null;
    }

    /// <summary>The class whose item <see cref="Next"/> would take; null when nothing is queued.</summary>
    public WorkPriority? NextClass => Count > 0 ? PickClass() : null;

    /// <summary>Items of a class waiting in the queue.</summary>
    public int QueuedOf(WorkPriority priority) => classes[(int)priority].Queued;

    /// <summary>
    /// Batch rows to give up so that at most <paramref name="keep"/> stay (<see cref="SchedulerOptions.RowsWithInteractive"/>):
    /// one at a time from the tenant furthest above its weighted share of the running rows, its row with the most steps left.
    /// </summary>
    public List<ScheduledWork<T>> TrimBatch(IReadOnlyList<(ScheduledWork<T> Work, int StepsLeft)> running, int keep) =>
        Trim(running, keep, w => w.Ticket.Priority == WorkPriority.Batch);

    /// <summary>
    /// Rows of <paramref name="tenantsToTrim"/> to give up so that at most <paramref name="keep"/> of theirs stay
    /// (<see cref="SchedulerOptions.RowsBesideLightTenants"/>), chosen as <see cref="TrimBatch"/> chooses.
    /// </summary>
    public List<ScheduledWork<T>> TrimTenants(IReadOnlyList<(ScheduledWork<T> Work, int StepsLeft)> running, int keep, IReadOnlySet<string> tenantsToTrim) =>
        Trim(running, keep, w => tenantsToTrim.Contains(w.Ticket.Tenant));

    private List<ScheduledWork<T>> Trim(IReadOnlyList<(ScheduledWork<T> Work, int StepsLeft)> running, int keep, Func<ScheduledWork<T>, bool> eligible)
    {
        var candidates = running.Where(r => eligible(r.Work)).ToList();
        var victims = new List<ScheduledWork<T>>();
        double totalWeight = tenants.Values.Where(t => t.Active).Sum(t => t.Weight);
        while (candidates.Count > keep)
        {
            var rows = running.Where(r => !victims.Contains(r.Work)).GroupBy(r => r.Work.Ticket.Tenant).ToDictionary(g => g.Key, g => g.Count());
            var tenant = candidates.Select(r => r.Work.Ticket.Tenant).Distinct()
                .OrderByDescending(name => (rows[name] - running.Count * tenants[name].Weight / totalWeight) / tenants[name].Weight).First();
            var victim = candidates.Where(r => r.Work.Ticket.Tenant == tenant).OrderByDescending(r => r.StepsLeft).First();
            candidates.Remove(victim);
            victims.Add(victim.Work);
        }
        return victims;
    }

    /// <summary>
    /// The tenants with work here, by what they ask of <paramref name="maxRows"/> rows (their running rows plus their queued
    /// items) against their weighted share of them: light (asking no more than their share) and heavy (asking more).
    /// </summary>
    public (IReadOnlyDictionary<string, int> Light, IReadOnlySet<string> Heavy) ClassifyDemand(
        IReadOnlyList<(ScheduledWork<T> Work, int StepsLeft)> running, int maxRows)
    {
        var rows = running.GroupBy(r => r.Work.Ticket.Tenant).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var active = tenants.Values.Where(t => t.QueuedCount > 0 || rows.ContainsKey(t.Name)).ToList();
        double totalWeight = active.Sum(t => t.Weight);
        var light = new Dictionary<string, int>(StringComparer.Ordinal);
        var heavy = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in active)
        {
            int demand = rows.GetValueOrDefault(t.Name) + t.QueuedCount;
            if (demand <= maxRows * t.Weight / totalWeight + 1e-9) light[t.Name] = demand;
            else heavy.Add(t.Name);
        }
        return (light, heavy);
    }

    /// <summary>Rows batch work keeps against interactive preemption while it has work: its minimum share of the device's
    /// rows, rounded up (at least one).</summary>
    public int BatchRowsKept(int maxRows) => Math.Max(1, (int)Math.Ceiling(options.BatchMinimumShare * maxRows - 1e-9));

    /// <summary>
    /// A running item gives up its row (preempted) and waits at the head of its tenant's queue to resume where it stopped.
    /// Its unused reservation is returned; it is re-queued with <paramref name="remainingCost"/> and no deadline (it has
    /// already used the device, so it is never dropped).
    /// </summary>
    public ScheduledWork<T> Suspend(ScheduledWork<T> work, double remainingCost)
    {
        Complete(work);
        var tenant = TenantOf(work.Ticket.Tenant);
        var resumed = new ScheduledWork<T>(work.Item, work.Ticket with { Deadline = null, EstimatedCost = remainingCost }, work.EnqueuedAt, work.Sequence);
        tenant.Queues[(int)work.Ticket.Priority].AddFirst(resumed);
        classes[(int)work.Ticket.Priority].Queued++;
        Count++;
        return resumed;
    }

    /// <summary>Measured device time used by a running item: it consumes the item's reservation first, then counts on.</summary>
    public void Charge(ScheduledWork<T> work, double deviceSeconds)
    {
        if (deviceSeconds <= 0) return;
        var tenant = TenantOf(work.Ticket.Tenant);
        var cls = classes[(int)work.Ticket.Priority];
        tenant.DeviceSeconds += deviceSeconds;
        double beyond = Math.Max(0, deviceSeconds - work.Reserved);
        tenant.Reserved -= Math.Min(work.Reserved, deviceSeconds);
        cls.Reserved -= Math.Min(work.Reserved, deviceSeconds);
        work.Reserved = Math.Max(0, work.Reserved - deviceSeconds);
        tenant.VirtualTime += beyond / tenant.Weight;
        cls.VirtualTime += beyond / cls.Share;
    }

    /// <summary>A running item left the device (finished, failed or cancelled): what it reserved and did not use is returned.</summary>
    public void Complete(ScheduledWork<T> work)
    {
        if (!work.Running) return;
        work.Running = false;
        var tenant = TenantOf(work.Ticket.Tenant);
        var cls = classes[(int)work.Ticket.Priority];
        tenant.VirtualTime -= work.Reserved / tenant.Weight;
        tenant.Reserved -= work.Reserved;
        cls.VirtualTime -= work.Reserved / cls.Share;
        cls.Reserved -= work.Reserved;
        work.Reserved = 0;
        tenant.Running--;
        cls.Running--;
        if (!tenant.Active) idleTenantVirtualTime = Math.Max(idleTenantVirtualTime, Math.Min(tenant.VirtualTime, ActiveFloorOrInfinity()));
    }

    /// <summary>A taken item whose deadline passed before it reached the device after all (between <see cref="Next"/> and the
    /// device): it leaves like a completed item, unrun, and counts as dropped at its deadline.</summary>
    public void DropAtDeadline(ScheduledWork<T> work)
    {
        Complete(work);
        TenantOf(work.Ticket.Tenant).DeadlineDrops++;
    }

    /// <summary>Removes queued items whose deadline passed (counted per tenant) and returns them for the caller to fail.</summary>
    public List<ScheduledWork<T>> DropExpired(DateTimeOffset now)
    {
        var dropped = RemoveWhere(w => w.Ticket.Expired(now));
        foreach (var w in dropped) TenantOf(w.Ticket.Tenant).DeadlineDrops++;
        return dropped;
    }

    /// <summary>Removes queued items matching <paramref name="match"/> (e.g. a cancelled job's) and returns them.</summary>
    public List<ScheduledWork<T>> Remove(Func<T, bool> match) => RemoveWhere(w => match(w.Item));

    /// <summary>Every queued item (not running), in arrival order.</summary>
    public List<ScheduledWork<T>> Queued() =>
        tenants.Values.SelectMany(t => t.Queues.SelectMany(q => q)).OrderBy(w => w.Sequence).ToList();

    public IReadOnlyList<TenantStanding> Standings() =>
        tenants.Values.Select(t => new TenantStanding(t.Name, t.Weight, t.DeviceSeconds, t.QueuedCount, t.Running, t.DeadlineDrops, t.VirtualTime))
            .OrderBy(s => s.Tenant, StringComparer.Ordinal).ToList();

    private List<ScheduledWork<T>> RemoveWhere(Func<ScheduledWork<T>, bool> match)
    {
        var removed = new List<ScheduledWork<T>>();
        foreach (var tenant in tenants.Values)
            for (int c = 0; c < Classes; c++)
            {
                var queue = tenant.Queues[c];
                if (queue.Count == 0 || !queue.Any(match)) continue;
                var kept = new LinkedList<ScheduledWork<T>>();
                foreach (var w in queue)
                    if (match(w)) removed.Add(w);
                    else kept.AddLast(w);
                classes[c].Queued -= queue.Count - kept.Count;
                Count -= queue.Count - kept.Count;
                tenant.Queues[c] = kept;
            }
        return removed;
    }

    /// <summary>
    /// Interactive first, unless batch work waits and its class is behind its guaranteed share: the class whose next item
    /// would FINISH first in its own virtual time (weighted fair queuing between the two classes; with a small batch share
    /// an arriving batch item waits for about (1 - share) / share interactive items, then takes its turn). Ties go to
    /// interactive work.
    /// </summary>
    private WorkPriority PickClass()
    {
        var (interactive, batch) = (classes[0], classes[1]);
        if (interactive.Queued == 0) return WorkPriority.Batch;
        if (batch.Queued == 0) return WorkPriority.Interactive;
        return FinishTag(batch, WorkPriority.Batch) < FinishTag(interactive, WorkPriority.Interactive) ? WorkPriority.Batch : WorkPriority.Interactive;
    }

    private double FinishTag(Class cls, WorkPriority priority, double returned = 0)
    {
        double head = double.PositiveInfinity;
        foreach (var t in tenants.Values)
            if (t.Queues[(int)priority].First is { } first) head = Math.Min(head, Math.Max(0, first.Value.Ticket.EstimatedCost));
        if (double.IsPositiveInfinity(head)) head = Math.Max(0, returned); // the returned item would be the class's head
        return cls.VirtualTime - returned / cls.Share + head / cls.Share;
    }

    /// <summary>Where a tenant that was idle re-enters: the least virtual time of the active tenants (no credit for idling).</summary>
    private double TenantVirtualTimeFloor(Tenant entering)
    {
        double floor = ActiveFloorOrInfinity(entering);
        return double.IsPositiveInfinity(floor) ? idleTenantVirtualTime : floor;
    }

    private double ActiveFloorOrInfinity(Tenant? except = null)
    {
        double floor = double.PositiveInfinity;
        // What the active tenants have used, not what their running items reserved: an arriving tenant starts level with
        // the others' progress, not behind the work they hold.
        foreach (var t in tenants.Values)
            if (t != except && t.Active) floor = Math.Min(floor, t.UsedVirtualTime);
        return floor;
    }

    private TimeSpan RetryAfter(Tenant tenant, double otherWeights)
    {
        // About when the tenant's next item starts: its queued work's average cost, at its share of the device.
        var queued = tenant.Queues.SelectMany(q => q).ToList();
        double average = queued.Count == 0 ? 0 : queued.Average(w => Math.Max(0, w.Ticket.EstimatedCost));
        double seconds = average * (tenant.Weight + otherWeights) / tenant.Weight;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60));
    }

    private Tenant TenantOf(string name)
    {
        if (!tenants.TryGetValue(name, out var tenant)) tenants[name] = tenant = new Tenant(name, options.DefaultWeight);
        return tenant;
    }

    private sealed class Tenant(string name, double weight)
    {
        public string Name { get; } = name;
        public double Weight { get; set; } = weight;
        public double VirtualTime { get; set; }
        /// <summary>Reservations of its running items not yet consumed by charges (included in <see cref="VirtualTime"/>).</summary>
        public double Reserved { get; set; }
        /// <summary>Virtual time for what it has used so far (without the reservations of what runs).</summary>
        public double UsedVirtualTime => VirtualTime - Reserved / Weight;
        public double DeviceSeconds { get; set; }
        public int Running { get; set; }
        public long DeadlineDrops { get; set; }
        public LinkedList<ScheduledWork<T>>[] Queues { get; } = [new(), new()];
        public int QueuedCount => Queues[0].Count + Queues[1].Count;
        public bool Active => Running > 0 || QueuedCount > 0;
    }

    private sealed class Class(double share)
    {
        public double Share { get; } = share;
        public double VirtualTime { get; set; }
        /// <summary>Reservations of its running items not yet consumed by charges (included in <see cref="VirtualTime"/>).</summary>
        public double Reserved { get; set; }
        public double UsedVirtualTime => VirtualTime - Reserved / Share;
        public int Queued { get; set; }
        public int Running { get; set; }
        public bool Active => Queued > 0 || Running > 0;
    }
}
