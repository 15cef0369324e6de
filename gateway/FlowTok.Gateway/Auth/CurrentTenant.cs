using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Auth;

/// <summary>The tenant the bearer key belongs to, put on the request by <see cref="TenantAuthentication"/>.</summary>
public static class CurrentTenant
{
    private static readonly object Key = new();

    public static TenantInfo? FindTenant(this HttpContext http) => http.Items.TryGetValue(Key, out var t) ? t as TenantInfo : null;

    /// <summary>The caller's tenant; only valid on /v1 routes (authenticated before any handler runs).</summary>
    public static TenantInfo GetTenant(this HttpContext http) =>
        http.FindTenant() ?? throw new InvalidOperationException("the request was not authenticated (is TenantAuthentication in the pipeline?)");

    internal static void SetTenant(this HttpContext http, TenantInfo tenant) => http.Items[Key] = tenant;
}
