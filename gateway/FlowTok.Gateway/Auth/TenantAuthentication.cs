using FlowTok.Storage.Tenants;
using Microsoft.AspNetCore.Http;

namespace FlowTok.Gateway.Auth;

/// <summary>
/// Authenticates every /v1 request by its <c>Authorization: Bearer &lt;key&gt;</c> against the tenant directory; 401 with
/// <c>WWW-Authenticate: Bearer</c> otherwise. Runs before the rate limiter, which partitions by the tenant found here.
/// Failures are counted per client address (<see cref="FailedAuthentications"/>): past the limit, 429 + Retry-After, and
/// a key the directory does not already know is not looked up.
/// </summary>
public sealed class TenantAuthentication(RequestDelegate next)
{
    public static readonly PathString ProtectedPrefix = "/v1";

    public async Task InvokeAsync(HttpContext http, ITenantDirectory tenants, FailedAuthentications failures)
    {
        if (!http.Request.Path.StartsWithSegments(ProtectedPrefix))
        {
            await next(http);
            return;
        }
        string? key = BearerKey(http.Request.Headers.Authorization.ToString());
        if (key is null && FileLinks.IsSignedDownload(http.Request))
        {
            // The link's signature authorises it, checked by the download itself (FilesApi).
            await next(http);
            return;
        }
        TenantInfo? tenant = null;
        if (key is not null && !tenants.TryAuthenticateLocally(key, out tenant))
        {
            if (failures.IsBlocked(http, out var wait))
            {
                await FailedAuthentications.TooMany(http, wait).ExecuteAsync(http);
                return;
            }
            tenant = await tenants.AuthenticateAsync(key);
        }
        if (tenant is not null)
        {
            http.SetTenant(tenant);
            await next(http);
            return;
        }
        if (!failures.TryCountFailure(http, out var retryAfter))
        {
            await FailedAuthentications.TooMany(http, retryAfter).ExecuteAsync(http);
            return;
        }
        http.Response.Headers.WWWAuthenticate = key is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        string detail = key is null ? "send your API key as 'Authorization: Bearer <key>'" : "the API key is not valid";
        await Problems.Unauthorized(detail).ExecuteAsync(http);
    }

    /// <summary>The key of a "Bearer &lt;key&gt;" header value (scheme case-insensitive), or null.</summary>
    public static string? BearerKey(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization)) return null;
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        string key = authorization[scheme.Length..].Trim();
        return key.Length == 0 ? null : key;
    }
}
