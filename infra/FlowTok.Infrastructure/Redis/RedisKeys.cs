using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Redis;

/// <summary>
/// Every key and channel the platform uses, under <see cref="RedisOptions.KeyPrefix"/> and namespaced by what it holds
/// (and by tenant where the data is a tenant's).
/// </summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey File(string fileId) => Key("file:" + fileId);

    public RedisKey Output(string tenantId, string requestHash) => Key($"out:{tenantId}:{requestHash}");

    /// <summary>Prompt encodings are a tenant's own (a shared hit would tell one tenant another's prompt); the prompt text
    /// is hashed (it can be long, and is user text).</summary>
    public RedisKey Prompt(string tenantId, string modelVersion, string prompt) => Key($"prompt:{tenantId}:{modelVersion}:{Sha256Hex(prompt)}");

    /// <summary>The file ids of a cached output ("url" answers reuse them instead of storing copies).</summary>
    public RedisKey OutputFiles(string tenantId, string requestHash) => Key($"outfiles:{tenantId}:{requestHash}");

    /// <summary>Idempotency keys are chosen by clients: hashed, so any length or character is a safe key.</summary>
    public RedisKey Idempotency(string tenantId, string idempotencyKey) => Key($"idem:{tenantId}:{Sha256Hex(idempotencyKey)}");

    /// <summary>Sorted set: the tenant's job ids scored by submission time (unix ms), for GET /v1/jobs.</summary>
    public RedisKey JobHistory(string tenantId) => Key("jobs:" + tenantId);

    public RedisKey Cancellation(string jobId) => Key("cancel:" + jobId);

    public RedisChannel CancellationChannel => RedisChannel.Literal(Prefix + "cancelled");

    public RedisKey Admission => Key("admission");

    /// <summary>Hash: tenant id -> items it has admitted (queued or running); tenants with none are absent.</summary>
    public RedisKey AdmissionByTenant => Key("admission:tenants");

    /// <summary>Hash: tenant id -> its share weight as last admitted.</summary>
    public RedisKey AdmissionWeights => Key("admission:weights");

    /// <summary>Hash: job id -> its reservation ("items|admitted unix ms|tenant"): the truth the two counts above add up.</summary>
    public RedisKey AdmissionJobs => Key("admission:jobs");

    public RedisKey Models => Key("models");

    /// <summary>The download links' signing key shared by gateways that have none configured (one key, no TTL).</summary>
    public RedisKey LinkSigningKey => Key("linksigningkey");

    /// <summary>An API key's entry, named by the key's SHA-256 (the key itself is never stored).</summary>
    public RedisKey TenantApiKey(string apiKeySha256Hex) => Key("tenantkey:" + apiKeySha256Hex);

    public RedisKey Tenant(string tenantId) => Key("tenant:" + tenantId);

    /// <summary>Hash: SHA-256 hex of each of the tenant's keys -> when it was added (unix seconds).</summary>
    public RedisKey TenantApiKeys(string tenantId) => Key("tenantkeys:" + tenantId);

    /// <summary>Carries the SHA-256 hex of every key added or revoked, so each process forgets what it remembered of it.</summary>
    public RedisChannel TenantApiKeyChannel => RedisChannel.Literal(Prefix + "tenantkeys");

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    RedisKey Key(string name) => new(Prefix + name);
}
