namespace FlowTok.Infrastructure.Storage;

/// <summary>
/// Canonical request hash -> the images it produced (PNG bytes, in order), per tenant, with a TTL. Identical requests are
/// answered from here with identical bytes without touching a model.
/// </summary>
public interface IOutputCache
{
    Task<IReadOnlyList<byte[]>?> GetAsync(string tenantId, string requestHash);

    Task SetAsync(string tenantId, string requestHash, IReadOnlyList<byte[]> images);
}
