namespace FlowTok.Grains.Batching;

/// <summary>When rows may join a running batch.</summary>
public enum BatchingMode
{
    /// <summary>At every step boundary, into any free slot (continuous, step-level batching).</summary>
    Continuous,
    /// <summary>Only when the batch is empty: a batch runs from start to end as it began (request-level batching, the
    /// baseline it is measured against).</summary>
    RequestLevel,
}

/// <summary>
/// The rows on a device and which of them share the next step. Plain data: rows join at step boundaries while slots
/// are free (<see cref="BatchingMode"/>), every row advances on its own grid, rows that did their last step leave to be
/// decoded, and a row that failed or was cancelled leaves alone. Rows of one <see cref="RowKind"/> share a forward.
/// </summary>
public sealed class StepBatcher
{
    private readonly List<StepRow> rows = [];
    /// <summary>Request-level: the batch has not taken its first step yet, so it still takes rows.</summary>
    private bool forming = true;

    public StepBatcher(int maxRows, BatchingMode mode = BatchingMode.Continuous)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "a batch needs at least one row");
        MaxRows = maxRows;
        Mode = mode;
    }

    public int MaxRows { get; }
    public BatchingMode Mode { get; }
    public IReadOnlyList<StepRow> Rows => rows;
    public int Count => rows.Count;

    /// <summary>Rows that may join before the next step.</summary>
    public int FreeSlots => Mode == BatchingMode.Continuous || forming ? MaxRows - rows.Count : 0;

    public void Join(StepRow row)
    {
        if (FreeSlots == 0) throw new InvalidOperationException($"no free slot for {row} ({rows.Count} of {MaxRows} rows, {Mode})");
        if (row.Sampled) throw new ArgumentException($"{row} has no steps left", nameof(row));
        rows.Add(row);
    }

    /// <summary>The rows of each kind that step together next (kinds in a fixed order).</summary>
    public IEnumerable<IReadOnlyList<StepRow>> Groups() =>
        rows.GroupBy(r => r.Kind).OrderBy(g => g.Key).Select(g => (IReadOnlyList<StepRow>)g.ToList());

    /// <summary>Rows that took their step move on; returns those that are now fully sampled (still in the batch until they leave).</summary>
    public List<StepRow> Advance(IEnumerable<StepRow> stepped)
    {
        var sampled = new List<StepRow>();
        forming = false;
        foreach (var row in stepped)
        {
            if (!rows.Contains(row)) throw new InvalidOperationException($"{row} is not in the batch");
            row.StepsDone++;
            if (row.Sampled) sampled.Add(row);
        }
        return sampled;
    }

    public void Leave(StepRow row)
    {
        rows.Remove(row);
        if (rows.Count == 0) forming = true;
    }
}
