namespace FlowTok.Platform.Bench;

/// <summary>Latency samples and their percentiles (nearest rank).</summary>
internal sealed class Latencies
{
    private readonly List<double> milliseconds = [];

    public void Add(TimeSpan latency)
    {
        lock (milliseconds) milliseconds.Add(latency.TotalMilliseconds);
    }

    public int Count
    {
        get { lock (milliseconds) return milliseconds.Count; }
    }

    public double Percentile(double p)
    {
        lock (milliseconds)
        {
            if (milliseconds.Count == 0) return double.NaN;
            var sorted = milliseconds.Order().ToArray();
            int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
            return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
        }
    }

    public string Row() => $"{Percentile(50):F1} | {Percentile(95):F1} | {Percentile(99):F1}";
}
