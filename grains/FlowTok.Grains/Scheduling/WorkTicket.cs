namespace FlowTok.Grains.Scheduling;

/// <summary>
/// What the scheduler knows of one item: whose it is (tenant and its weight), how urgent (priority, deadline), and what it
/// is expected to cost in device seconds (reserved when it starts, settled against the measured cost).
/// </summary>
public sealed record WorkTicket(string Tenant, double Weight, WorkPriority Priority, DateTimeOffset? Deadline, double EstimatedCost)
{
    public bool Expired(DateTimeOffset now) => Deadline is { } deadline && now >= deadline;
}

/// <summary>The scheduler's answer to an item: queued, or refused with the reason and when to try again.</summary>
public readonly record struct EnqueueOutcome(bool Accepted, string? Reason, TimeSpan RetryAfter)
{
    public static EnqueueOutcome Queued => new(true, null, TimeSpan.Zero);
}

/// <summary>An item in (or taken from) a <see cref="FairScheduler{T}"/>.</summary>
public sealed class ScheduledWork<T>
{
    internal ScheduledWork(T item, WorkTicket ticket, DateTimeOffset enqueuedAt, long sequence)
    {
        Item = item;
        Ticket = ticket;
        EnqueuedAt = enqueuedAt;
        Sequence = sequence;
    }

    public T Item { get; }
    public WorkTicket Ticket { get; }
    public DateTimeOffset EnqueuedAt { get; }
    internal long Sequence { get; }
    /// <summary>Device seconds reserved at dispatch and not yet consumed by measured charges.</summary>
    internal double Reserved { get; set; }
    internal bool Running { get; set; }
}

/// <summary>One tenant's standing: weight, device seconds used, work queued and running, items dropped at their deadline.</summary>
public sealed record TenantStanding(string Tenant, double Weight, double DeviceSeconds, int Queued, int Running, long DeadlineDrops, double VirtualTime);
