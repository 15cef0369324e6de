namespace FlowTok.Infrastructure.Storage;

/// <summary>A stored blob: a generated image or an upload, owned by one tenant, expiring after a TTL.</summary>
public sealed record StoredFile(string FileId, string TenantId, string ContentType, byte[] Bytes, DateTimeOffset ExpiresAt);

/// <summary>Result and upload blobs in Redis. Files are tenant-scoped: another tenant's id reads as missing.</summary>
public interface IFileStore
{
    /// <summary>Stores bytes under a new unguessable id and returns it.</summary>
    Task<string> PutAsync(string tenantId, byte[] bytes, string contentType, TimeSpan? timeToLive = null);

    /// <summary>The file, or null when it does not exist, expired, or belongs to another tenant.</summary>
    Task<StoredFile?> GetAsync(string tenantId, string fileId);

    /// <summary>Reads a file whatever its tenant (model silos reading uploads they were told about).</summary>
    Task<StoredFile?> GetAnyTenantAsync(string fileId);
}
