namespace FlowTok.Grains.Jobs;

/// <summary>
/// A finished job's webhook, stored with the job (set in the same write that ends it), so a delivery still pending when its
/// silo stops or dies is resumed wherever the job reactivates (its reminder wakes it: <see cref="JobWebhooks"/>).
/// </summary>
[GenerateSerializer]
public sealed class WebhookDelivery
{
    [Id(0)] public int Attempts { get; set; }
    /// <summary>When the last attempt was made (null: none yet). The next is due the back-off after it, by the configuration
    /// of the silo that makes it.</summary>
    [Id(1)] public DateTimeOffset? LastAttemptAt { get; set; }
    [Id(2)] public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>All attempts failed (<see cref="FlowTok.Infrastructure.Webhooks.WebhookOptions.MaxAttempts"/>).</summary>
    [Id(3)] public bool GaveUp { get; set; }
    /// <summary>Why the last attempt failed: the answer's status, or the error.</summary>
    [Id(4)] public string? LastFailure { get; set; }

    public bool Pending => DeliveredAt is null && !GaveUp;
}
