namespace FlowTok.Gateway;

/// <summary>Header names the gateway reads or writes beyond the standard ones.</summary>
public static class GatewayHeaders
{
    public const string IdempotencyKey = "Idempotency-Key";
    /// <summary>"hit" when the output cache answered, "miss" when a model ran.</summary>
    public const string Cache = "X-Cache";
    public const string JobId = "X-Job-Id";
}
