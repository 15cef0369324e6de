using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FlowTok.Infrastructure.Redis;
using StackExchange.Redis;

namespace FlowTok.Gateway;

/// <summary>
/// Download links that work without the API key until they expire, like OpenAI's <c>url</c> results:
/// <c>/v1/files/{id}?tenant=…&amp;expires=…&amp;signature=…</c>, the signature an HMAC-SHA256 of the file id, the tenant
/// and the expiry under <see cref="GatewayOptions.LinkSigningKey"/>. The tenant is inside the signed part, so a link
/// opens only the file its tenant stored under that id; a changed id, tenant or expiry no longer matches (403).
/// </summary>
public sealed class FileLinks
{
    public static readonly PathString FilesPath = "/v1/files";

    public const string TenantParameter = "tenant", ExpiresParameter = "expires", SignatureParameter = "signature";

    private readonly Lazy<byte[]> key;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider clock;

    /// <param name="redis">Where gateways without a configured key share one (null: a key of this process alone).</param>
    public FileLinks(IOptions<GatewayOptions> options, TimeProvider clock, ILogger<FileLinks> logger,
        IConnectionMultiplexer? redis = null, IOptions<RedisOptions>? redisOptions = null)
    {
        (this.clock, lifetime) = (clock, options.Value.LinkLifetime);
        if (!string.IsNullOrEmpty(options.Value.LinkSigningKey))
        {
            key = new Lazy<byte[]>(Encoding.UTF8.GetBytes(options.Value.LinkSigningKey));
            return;
        }
        if (redis is null)
        {
            key = new Lazy<byte[]>(RandomNumberGenerator.GetBytes(32));
            logger.LogWarning("Gateway:LinkSigningKey is not set and there is no Redis: download links are signed with a random key "
                + "made at start, so they stop working when this process restarts");
            return;
        }
        // Every gateway on the same Redis signs with the same key: the first one to ask stores a random one. A failed read
        // is tried again at the next link (PublicationOnly caches no exception).
        var shared = new RedisKeys((redisOptions?.Value ?? new RedisOptions()).KeyPrefix).LinkSigningKey;
        key = new Lazy<byte[]>(() => SharedKey(redis, shared), LazyThreadSafetyMode.PublicationOnly);
        logger.LogInformation("Gateway:LinkSigningKey is not set: download links are signed with a key kept in Redis and shared by the gateways using it");
    }

    private static byte[] SharedKey(IConnectionMultiplexer redis, RedisKey shared)
    {
        var db = redis.GetDatabase();
        db.StringSet(shared, RandomNumberGenerator.GetBytes(32), when: When.NotExists);
        return (byte[]?)db.StringGet(shared) ?? throw new InvalidOperationException("the shared link signing key could not be read from Redis");
    }

    /// <summary>A download that carries a signature: it needs no API key (its handler checks the signature).</summary>
    public static bool IsSignedDownload(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments(FilesPath) && request.Query.ContainsKey(SignatureParameter);

    /// <summary>A link to <paramref name="fileId"/> of <paramref name="tenantId"/>, valid for <see cref="GatewayOptions.LinkLifetime"/>.</summary>
    public string File(string baseUrl, string tenantId, string fileId) => File(baseUrl, tenantId, fileId, clock.GetUtcNow() + lifetime);

    public string File(string baseUrl, string tenantId, string fileId, DateTimeOffset expiresAt)
    {
        long expires = expiresAt.ToUnixTimeSeconds();
        return $"{Links.File(baseUrl, fileId)}?{TenantParameter}={Uri.EscapeDataString(tenantId)}&{ExpiresParameter}={expires}"
            + $"&{SignatureParameter}={Signature(fileId, tenantId, expires)}";
    }

    /// <summary>The tenant a signed link names, or why it opens nothing: 403 (not signed by us, or changed), 410 (expired).</summary>
    public (string? TenantId, int Status) Verify(string fileId, string? tenantId, string? expires, string? signature)
    {
        if (tenantId is null || signature is null
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out long expiresAt)
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(fileId, tenantId, expiresAt)), Encoding.ASCII.GetBytes(signature)))
            return (null, 403);
        return clock.GetUtcNow().ToUnixTimeSeconds() > expiresAt ? (null, 410) : (tenantId, 200);
    }

    private string Signature(string fileId, string tenantId, long expires)
    {
        // Lengths first: no two (id, tenant) pairs serialise to the same bytes.
        string message = $"{fileId.Length}:{fileId}\n{tenantId.Length}:{tenantId}\n{expires.ToString(CultureInfo.InvariantCulture)}";
        return Base64Url.EncodeToString(HMACSHA256.HashData(key.Value, Encoding.UTF8.GetBytes(message)));
    }
}
