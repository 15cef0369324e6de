namespace FlowTok.Infrastructure.Tenants;

/// <summary>Tenants and their hashed API keys, in Redis (seeded from configuration section "Tenants" at start).</summary>
public interface ITenantDirectory
{
    /// <summary>The tenant whose key this is, or null.</summary>
    Task<TenantInfo?> AuthenticateAsync(string apiKey);

    /// <summary>Registers (or updates) the tenant and adds a new random key for it; returns the key (shown once).</summary>
    Task<string> CreateKeyAsync(TenantInfo tenant);

    /// <summary>Registers the tenant with a key chosen by the operator (configuration).</summary>
    Task AddKeyAsync(TenantInfo tenant, string apiKey);

    Task<TenantInfo?> FindAsync(string tenantId);
}
