using System.Diagnostics;

namespace FlowTok.Platform.Bench;

/// <summary>
/// N workers, each making its next call when the last one answered, through a warm-up and then a measured window. Only
/// calls that end inside the window count (calls still running at its end are awaited, not counted).
/// Rates are taken over each worker's own span, from its last answer before the window to its last answer in it, which
/// holds exactly the calls counted: what the workers produced over the sum of their spans, times the workers. Counting
/// answers in the fixed window instead counts a call that began before it whole, an error of up to the items in flight
/// (throughput x latency): several percent of a 30 s window when a call takes seconds.
/// </summary>
internal static class ClosedLoop
{
    /// <param name="Calls">successful calls that ended in the window</param>
    /// <param name="Items">what they produced</param>
    /// <param name="Failures">failed calls that ended in the window (not timed)</param>
    /// <param name="WarmUpFailures">failed calls that ended in the warm-up</param>
    /// <param name="AllItems">every item produced, warm-up and tail included (per-item costs over the whole run)</param>
    /// <param name="ItemsPerSecond">over the workers' spans (see the class)</param>
    /// <param name="CallsPerSecond">likewise for successful calls</param>
    public sealed record Window(long Calls, long Items, long Failures, long WarmUpFailures, long AllItems, Latencies Latency, TimeSpan Elapsed,
        double ItemsPerSecond, double CallsPerSecond)
    {
        /// <summary>Items that ended in the window over its length: the plain count, with the edge error described above.</summary>
        public double CountedItemsPerSecond => Items / Elapsed.TotalSeconds;
    }

    /// <param name="call">one call; returns the items it produced, 0 when it failed</param>
    public static async Task<Window> RunAsync(int workers, TimeSpan warmUp, TimeSpan duration, Func<Task<int>> call, CancellationToken cancel)
    {
        var latencies = new Latencies();
        long calls = 0, items = 0, failures = 0, warmUpFailures = 0, allItems = 0;
        long spans = 0, active = 0;
        var gate = new Lock();
        long measureFrom = Stopwatch.GetTimestamp() + Ticks(warmUp);
        long measureTo = measureFrom + Ticks(duration);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            long myCalls = 0, myItems = 0, mySpan = 0, previousEnd = Stopwatch.GetTimestamp();
            while (Stopwatch.GetTimestamp() < measureTo && !cancel.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                int produced = await call();
                long end = Stopwatch.GetTimestamp();
                Interlocked.Add(ref allItems, produced);
                if (end < measureFrom)
                {
                    if (produced == 0) Interlocked.Increment(ref warmUpFailures);
                }
                else if (end < measureTo)
                {
                    mySpan += end - previousEnd;
                    if (produced == 0) Interlocked.Increment(ref failures);
                    else
                    {
                        (myCalls, myItems) = (myCalls + 1, myItems + produced);
                        latencies.Add(Stopwatch.GetElapsedTime(start, end));
                    }
                }
                previousEnd = end;
            }
            if (mySpan == 0) return;
            lock (gate) (calls, items, spans, active) = (calls + myCalls, items + myItems, spans + mySpan, active + 1);
        }));
        double spanSeconds = Math.Max(1, spans) / (double)Stopwatch.Frequency;
        // Shorter than the duration only when cancelled.
        long measuredTo = Math.Min(Stopwatch.GetTimestamp(), measureTo);
        var elapsed = measuredTo > measureFrom ? Stopwatch.GetElapsedTime(measureFrom, measuredTo) : TimeSpan.Zero;
        return new Window(calls, items, failures, warmUpFailures, allItems, latencies, elapsed, active * items / spanSeconds, active * calls / spanSeconds);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
