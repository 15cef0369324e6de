namespace FlowTok.Grains.Models;

/// <summary>A replica's counters: batches run, items finished, busy time (for throughput), largest batch.</summary>
public sealed record RunnerStats(int QueueDepth, long Batches, long Items, TimeSpan Busy, int MaxBatchSize)
{
    public double MeanBatchSize => Batches == 0 ? 0 : (double)Items / Batches;
    public double ItemsPerBusySecond => Busy <= TimeSpan.Zero ? 0 : Items / Busy.TotalSeconds;
}
