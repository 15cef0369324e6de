using System.Security.Cryptography;
using System.Text;

namespace FlowTok.Infrastructure.Webhooks;

/// <summary>
/// Signs webhooks as the Standard Webhooks convention does (standardwebhooks.com), so its libraries verify them: headers
/// <c>webhook-id</c> (the same for every attempt of one delivery), <c>webhook-timestamp</c> (Unix seconds of the attempt)
/// and <c>webhook-signature</c> = <c>v1,</c> + base64 HMAC-SHA256 over <c>id.timestamp.body</c>, keyed with the tenant's
/// secret. A tenant's secret (<c>whsec_</c> + base64 of 32 bytes) is derived from the platform key and its id, so no
/// secret is stored and every process computes the same; one tenant's secret says nothing of another's.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";

    public static byte[] TenantSecret(string signingKey, string tenantId) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.UTF8.GetBytes($"flowtok-webhook-secret:{tenantId}"));

    /// <summary>The secret as a tenant is given it (and as Standard Webhooks libraries take it).</summary>
    public static string Format(byte[] secret) => SecretPrefix + Convert.ToBase64String(secret);

    public static string Sign(byte[] secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(secret, content));
    }
}
