namespace FlowTok.Storage;

/// <summary>
/// Canonical request hash -> the images it produced (PNG bytes, in order), per tenant, with a TTL. Identical requests are
/// answered from here with identical bytes without touching a model. Beside the bytes, the ids of files holding them, so
/// that answers with download links reuse those files instead of storing copies for every hit.
/// </summary>
public interface IOutputCache
{
    Task<IReadOnlyList<byte[]>?> GetAsync(string tenantId, string requestHash);

    /// <param name="fileIds">the files that hold <paramref name="images"/> (same order), or null</param>
    Task SetAsync(string tenantId, string requestHash, IReadOnlyList<byte[]> images, IReadOnlyList<string>? fileIds = null);

    /// <summary>The ids of files holding a cached output's images, or null (none recorded, or the output expired).</summary>
    Task<IReadOnlyList<string>?> GetFileIdsAsync(string tenantId, string requestHash);

    /// <summary>Records new files for a cached output (its earlier ones expired); nothing when the output itself expired.</summary>
    Task SetFileIdsAsync(string tenantId, string requestHash, IReadOnlyList<string> fileIds);
}
