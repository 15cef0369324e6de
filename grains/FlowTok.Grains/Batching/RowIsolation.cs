namespace FlowTok.Grains.Batching;

/// <summary>
/// Runs an all-or-nothing device call over a group of rows so that a row that fails fails alone: if the call over the
/// group throws, each row is tried on its own, and only the rows that throw alone are failed. Plain code.
/// </summary>
public static class RowIsolation
{
    /// <returns>the rows that failed with their errors (empty when the group call succeeded)</returns>
    public static List<(StepRow Row, Exception Error)> Run(IReadOnlyList<StepRow> rows, Action<IReadOnlyList<StepRow>> call)
    {
        var failed = new List<(StepRow, Exception)>();
        if (rows.Count == 0) return failed;
        try
        {
            call(rows);
            return failed;
        }
        catch (Exception) when (rows.Count > 1)
        {
            // Some row made the group fail: find it by running each alone.
        }
        catch (Exception e)
        {
            failed.Add((rows[0], e));
            return failed;
        }
        foreach (var row in rows)
        {
            try
            {
                call([row]);
            }
            catch (Exception e)
            {
                failed.Add((row, e));
            }
        }
        return failed;
    }

    /// <summary>Like <see cref="Run"/> for a call with one result per row; the results of rows that succeeded, by row.</summary>
    public static (Dictionary<StepRow, T> Results, List<(StepRow Row, Exception Error)> Failed) Run<T>(IReadOnlyList<StepRow> rows,
        Func<IReadOnlyList<StepRow>, IReadOnlyList<T>> call)
    {
        var results = new Dictionary<StepRow, T>();
        var failed = Run(rows, group =>
        {
            var outputs = call(group);
            if (outputs.Count != group.Count) throw new InvalidOperationException($"the device returned {outputs.Count} outputs for {group.Count} rows");
            for (int i = 0; i < group.Count; i++) results[group[i]] = outputs[i];
        });
        return (results, failed);
    }
}
