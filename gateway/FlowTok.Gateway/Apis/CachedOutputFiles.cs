using FlowTok.Storage;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// Download links for an answer from the output cache. A hit is not charged (no model ran), so it adds no storage either:
/// it links the files the request's job stored, each renewed for another file lifetime. Only once those expired (the
/// cache outlives files) are the cached bytes stored as files again, once, and recorded for the hits after it.
/// </summary>
public static class CachedOutputFiles
{
    public static async Task<IReadOnlyList<string>> ForAsync(GatewayServices s, string requestHash, IReadOnlyList<byte[]> images, string contentType)
    {
        string tenantId = s.Tenant.Id;
        if (await s.OutputCache.GetFileIdsAsync(tenantId, requestHash) is { } recorded && recorded.Count == images.Count
            && await RenewAllAsync(s.Files, tenantId, recorded))
            return recorded;
        var stored = new List<string>(images.Count);
        foreach (var image in images) stored.Add(await s.Files.PutAsync(tenantId, image, contentType));
        await s.OutputCache.SetFileIdsAsync(tenantId, requestHash, stored);
        return stored;
    }

    private static async Task<bool> RenewAllAsync(IFileStore files, string tenantId, IReadOnlyList<string> fileIds)
    {
        foreach (var fileId in fileIds)
            if (!await files.RenewAsync(tenantId, fileId)) return false;
        return true;
    }
}
