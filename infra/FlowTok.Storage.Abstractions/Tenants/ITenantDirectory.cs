namespace FlowTok.Storage.Tenants;

/// <summary>Tenants and their hashed API keys, in Redis (seeded from configuration section "Tenants" at start).</summary>
public interface ITenantDirectory
{
    /// <summary>The tenant whose key this is, or null.</summary>
    Task<TenantInfo?> AuthenticateAsync(string apiKey);

    /// <summary>The answer this process already knows without asking Redis: true with the tenant for a recently accepted
    /// key, true with null for a recently refused one, false when only <see cref="AuthenticateAsync"/> can tell.</summary>
    bool TryAuthenticateLocally(string apiKey, out TenantInfo? tenant);

    /// <summary>Registers (or updates) the tenant and adds a new random key for it; returns the key (shown once; its id is
    /// the first 16 hex digits of its SHA-256).</summary>
    Task<string> CreateKeyAsync(TenantInfo tenant);

    /// <summary>Registers the tenant with a key chosen by the operator (configuration).</summary>
    Task AddKeyAsync(TenantInfo tenant, string apiKey);

    Task<TenantInfo?> FindAsync(string tenantId);

    /// <summary>The tenant's keys (ids and creation times only: the keys themselves are never stored).</summary>
    Task<IReadOnlyList<ApiKeyEntry>> ListKeysAsync(string tenantId);

    /// <summary>Revokes one of the tenant's keys: every process refuses it within moments (see the implementation for the
    /// bound). False when the tenant has no key with this id.</summary>
    Task<bool> RevokeKeyAsync(string tenantId, string keyId);

    /// <summary>Removes the tenant and revokes all its keys; false when there was no such tenant.</summary>
    Task<bool> RemoveAsync(string tenantId);
}
