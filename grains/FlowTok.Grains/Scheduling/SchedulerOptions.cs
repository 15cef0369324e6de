namespace FlowTok.Grains.Scheduling;

/// <summary>Configuration section "Scheduling": how a replica shares its device among tenants and priorities.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduling";

    /// <summary>Share of device time batch work gets while interactive work is also waiting (0..1). Interactive work goes
    /// first otherwise; with no interactive work batch work takes everything (work-conserving).</summary>
    public double BatchMinimumShare { get; set; } = 0.1;

    /// <summary>Items queued on one replica (all tenants together) that the tenants' queue shares divide
    /// (<see cref="QueueBounds"/>). A tenant beyond its share is refused while others are still admitted.</summary>
    public int MaxQueuedItems { get; set; } = 256;

    /// <summary>Every tenant may queue at least this many items, however many tenants share the queue.</summary>
    public int MinQueuedItemsPerTenant { get; set; } = 8;

    /// <summary>When the device is full, an item of a tenant holding less than its weighted share of the rows takes the row of
    /// a tenant above its share at the next step boundary (the preempted row keeps its state and resumes later).</summary>
    public bool Preemption { get; set; } = true;

    /// <summary>While interactive work runs or waits on a replica, batch rows are limited so that a step holds at most this
    /// many rows (batch keeps at least its minimum share of the rows), so interactive rows step faster on a device whose step
    /// time grows with its rows; 0 (default): no limit, batch fills every free row. The cost is batch throughput while
    /// interactive work is present: on a device whose step over n rows costs a + n b, a cap c makes an interactive row's
    /// step (a + c b) / (a + b) times as long as alone, against (a + max b) / (a + b) without it.</summary>
    public int RowsWithInteractive { get; set; }

    /// <summary>While a light tenant (one asking no more than its weighted share of the rows) and a heavy one (asking more)
    /// both have work on a replica, a step holds at most this many rows: the light tenants' rows first, the heavy ones' in
    /// what is left (their extra rows wait, keeping their state), so a light tenant's requests step faster on a device whose
    /// step time grows with its rows; 0 (default): no limit. The cost is the heavy tenants' throughput while a light one
    /// has work: on a device whose step over n rows costs a + n b, a light row steps (a + c b) / (a + b) times as slowly as
    /// alone, and the heavy tenants get (c - light rows) / (a + c b) rows per second against (max - light rows) / (a + max b)
    /// (docs/PERFORMANCE.md, "What one device can give the small tenant").</summary>
    public int RowsBesideLightTenants { get; set; }

    /// <summary>Weight of a tenant that names none (weights divide device time: 2 gets twice the share of 1).</summary>
    public double DefaultWeight { get; set; } = 1;

    public void Validate()
    {
        if (double.IsNaN(BatchMinimumShare) || BatchMinimumShare <= 0 || BatchMinimumShare >= 1)
            throw new ArgumentException($"Scheduling:BatchMinimumShare must be between 0 and 1 (exclusive), got {BatchMinimumShare}");
        if (MaxQueuedItems < 1) throw new ArgumentException($"Scheduling:MaxQueuedItems must be at least 1, got {MaxQueuedItems}");
        if (MinQueuedItemsPerTenant < 1) throw new ArgumentException($"Scheduling:MinQueuedItemsPerTenant must be at least 1, got {MinQueuedItemsPerTenant}");
        if (RowsWithInteractive < 0) throw new ArgumentException($"Scheduling:RowsWithInteractive must be 0 (off) or positive, got {RowsWithInteractive}");
        if (RowsBesideLightTenants < 0) throw new ArgumentException($"Scheduling:RowsBesideLightTenants must be 0 (off) or positive, got {RowsBesideLightTenants}");
        if (!(DefaultWeight > 0)) throw new ArgumentException($"Scheduling:DefaultWeight must be positive, got {DefaultWeight}");
    }
}
