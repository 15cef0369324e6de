using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlowTok.Gateway.Auth;

/// <summary>
/// The admin API's own credential (<see cref="GatewayOptions.AdminKey"/>), checked by an endpoint filter on the /admin
/// group: 403 while none is configured, 401 for a missing or wrong key (counted per client address like a tenant's, 429
/// past the limit). Tenant keys never open it.
/// </summary>
public static class AdminAuthentication
{
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var configured = http.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.AdminKey;
        if (string.IsNullOrEmpty(configured))
            return Problems.Create(403, "the admin API is disabled: set Gateway:AdminKey to enable it");
        // Checking the key costs no round-trip, so the right key is taken even from an address that failed too often.
        var key = TenantAuthentication.BearerKey(http.Request.Headers.Authorization.ToString());
        if (key is not null && SameKey(key, configured))
            return await next(context);
        var failures = http.RequestServices.GetRequiredService<FailedAuthentications>();
        if (!failures.TryCountFailure(http, out var retryAfter))
            return FailedAuthentications.TooMany(http, retryAfter);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Unauthorized("send the admin key (Gateway:AdminKey) as 'Authorization: Bearer <key>'");
    }

    /// <summary>Compares in time independent of where the keys differ (hashes: equal lengths).</summary>
    static bool SameKey(string presented, string configured) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}
