using FlowTok.Gateway.Auth;
using FlowTok.Infrastructure.Tenants;
using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace FlowTok.Gateway.Apis;

/// <summary>
/// Tenants' API keys for operators, behind <see cref="GatewayOptions.AdminKey"/> (<see cref="AdminAuthentication"/>):
/// create, list, revoke, rotate. A new key is shown once, in the answer that creates it; only its hash is stored. A revoked
/// key is refused by every gateway within moments (see <see cref="RedisTenantDirectory"/>).
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/admin/tenants/{tenant}/keys").WithTags("Admin").AddEndpointFilter(AdminAuthentication.Filter)
            .ProducesProblem(401).ProducesProblem(403).ProducesProblem(429);
        keys.MapPost("/", CreateKey).WithSummary("Create a key for the tenant (created with these settings if it does not exist)");
        keys.MapGet("/", ListKeys).WithSummary("The tenant's keys: ids and creation times");
        keys.MapDelete("/{keyId}", RevokeKey).WithSummary("Revoke a key: refused by every gateway within seconds");
        keys.MapPost("/{keyId}/rotate", RotateKey).WithSummary("Create a new key for the tenant and revoke this one");
        return app;
    }

    /// <summary>A tenant's settings; absent fields keep their current (or default) values.</summary>
    public sealed record TenantSettings(string? Name, int? RequestsPerMinute, int? MaxConcurrentJobs, long? ItemQuota, double? Weight);

    public sealed record CreatedKey(string Tenant, string Id, string Key, DateTimeOffset CreatedAt);

    public sealed record KeyList(string Tenant, IReadOnlyList<ApiKeyEntry> Keys);

    public static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateKey(
        string tenant, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] TenantSettings? settings,
        [FromServices] ITenantDirectory tenants)
    {
        if (BadTenantId(tenant) is { } bad) return bad;
        if (Invalid(settings) is { } invalid) return Problems.BadRequest(invalid);
        var info = Apply(settings, await tenants.FindAsync(tenant) ?? new TenantInfo { Id = tenant });
        return Created(tenant, await tenants.CreateKeyAsync(info));
    }

    public static async Task<Results<Ok<KeyList>, ProblemHttpResult>> ListKeys(string tenant, [FromServices] ITenantDirectory tenants)
    {
        if (BadTenantId(tenant) is { } bad) return bad;
        if (await tenants.FindAsync(tenant) is null) return NoTenant(tenant);
        return TypedResults.Ok(new KeyList(tenant, await tenants.ListKeysAsync(tenant)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(string tenant, string keyId, [FromServices] ITenantDirectory tenants)
    {
        if (BadTenantId(tenant) is { } bad) return bad;
        return await tenants.RevokeKeyAsync(tenant, keyId) ? TypedResults.NoContent() : NoKey(tenant, keyId);
    }

    public static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> RotateKey(string tenant, string keyId, [FromServices] ITenantDirectory tenants)
    {
        if (BadTenantId(tenant) is { } bad) return bad;
        var info = await tenants.FindAsync(tenant);
        if (info is null || !(await tenants.ListKeysAsync(tenant)).Any(k => k.Id == keyId)) return NoKey(tenant, keyId);
        // The new key first: the tenant is never left without one.
        var created = await tenants.CreateKeyAsync(info);
        await tenants.RevokeKeyAsync(tenant, keyId);
        return Created(tenant, created);
    }

    static Created<CreatedKey> Created(string tenant, string key)
    {
        var id = ApiKeyId.Of(key);
        return TypedResults.Created($"/admin/tenants/{tenant}/keys/{id}", new CreatedKey(tenant, id, key, DateTimeOffset.UtcNow));
    }

    static TenantInfo Apply(TenantSettings? s, TenantInfo current) => s is null ? current : current with
    {
        Name = s.Name ?? current.Name,
        RequestsPerMinute = s.RequestsPerMinute ?? current.RequestsPerMinute,
        MaxConcurrentJobs = s.MaxConcurrentJobs ?? current.MaxConcurrentJobs,
        ItemQuota = s.ItemQuota ?? current.ItemQuota,
        Weight = s.Weight ?? current.Weight,
    };

    static string? Invalid(TenantSettings? s) => s switch
    {
        { RequestsPerMinute: < 1 } => "requests_per_minute must be at least 1",
        { MaxConcurrentJobs: < 1 } => "max_concurrent_jobs must be at least 1",
        { ItemQuota: < 0 } => "item_quota must be 0 (unlimited) or more",
        { Weight: { } w } when !(w > 0) || double.IsInfinity(w) => "weight must be a positive number",
        { Name.Length: > 200 } => "name must be at most 200 characters",
        _ => null,
    };

    static ProblemHttpResult? BadTenantId(string tenant) => RedisTenantDirectory.IsValidTenantId(tenant) && tenant.Length <= 100 ? null
        : Problems.BadRequest("a tenant id has 1 to 100 ASCII letters, digits, '-', '_' and '.'");

    static ProblemHttpResult NoTenant(string tenant) => Problems.NotFound($"there is no tenant '{tenant}'");

    static ProblemHttpResult NoKey(string tenant, string keyId) => Problems.NotFound($"tenant '{tenant}' has no key '{keyId}'");
}
