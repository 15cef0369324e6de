namespace FlowTok.Grains.Scheduling;

/// <summary>
/// Per-tenant queue bounds: of <c>total</c> queued items, a tenant may hold its weight's share among the tenants that have
/// work queued (itself included), and never less than <c>minimum</c>. A tenant flooding the queue is refused once it holds
/// its share, while a tenant with little queued is still admitted: the bound follows who is waiting, so a lone tenant may
/// use the whole queue. (The sum of the shares is <c>total</c>; when a new tenant arrives the others may be above their
/// new share for a while, so the queue holds at most about twice <c>total</c>.)
/// </summary>
public static class QueueBounds
{
    /// <param name="weight">the asking tenant's weight</param>
    /// <param name="otherQueuedWeights">weights of the OTHER tenants that have work queued</param>
    public static int TenantLimit(int total, int minimum, double weight, double otherQueuedWeights)
    {
        if (!(weight > 0)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "a weight must be positive");
        double share = total * weight / (weight + Math.Max(0, otherQueuedWeights));
        return Math.Max(minimum, (int)Math.Floor(share));
    }

    /// <summary>Whether <paramref name="items"/> more fit a tenant holding <paramref name="queued"/> (a lone item bigger than
    /// the limit is still admitted into an empty share, so a request of n images is never refused forever).</summary>
    public static bool Fits(int queued, int items, int limit) => queued == 0 || queued + items <= limit;
}
