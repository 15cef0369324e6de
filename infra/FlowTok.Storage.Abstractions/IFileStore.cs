namespace FlowTok.Storage;

/// <summary>A stored blob: a generated image or an upload, owned by one tenant, expiring after a TTL.</summary>
public sealed record StoredFile(string FileId, string TenantId, string ContentType, byte[] Bytes, DateTimeOffset ExpiresAt);

/// <summary>Result and upload blobs in Redis. Files are tenant-scoped: another tenant's id reads as missing.</summary>
public interface IFileStore
{
    /// <summary>Stores bytes under a new unguessable id and returns it.</summary>
    Task<string> PutAsync(string tenantId, byte[] bytes, string contentType, TimeSpan? timeToLive = null);

    /// <summary>The file, or null when it does not exist, expired, or belongs to another tenant.</summary>
    Task<StoredFile?> GetAsync(string tenantId, string fileId);

    /// <summary>Reads a file whatever its tenant (operators and tests; the serving path reads with its tenant).</summary>
    Task<StoredFile?> GetAnyTenantAsync(string fileId);

    /// <summary>The tenant's file lives a whole <paramref name="timeToLive"/> (default the file TTL) from now; false when it
    /// does not exist, expired, or belongs to another tenant.</summary>
    Task<bool> RenewAsync(string tenantId, string fileId, TimeSpan? timeToLive = null);

    /// <summary>Deletes the tenant's file; another tenant's file is left alone. False when there was none to delete.</summary>
    Task<bool> DeleteAsync(string tenantId, string fileId);
}
