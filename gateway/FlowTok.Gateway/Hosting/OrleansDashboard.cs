using System.Net;
using System.Security.Cryptography;
using System.Text;
using FlowTok.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;

namespace FlowTok.Gateway.Hosting;

/// <summary>
/// The Orleans Dashboard (Microsoft.Orleans.Dashboard) at <c>/dashboard</c>, behind <see cref="PlatformDashboardOptions"/>'s
/// access rule: the admin key, or loopback in one-machine mode; anyone else gets 401 (a Basic challenge, so a browser asks
/// for the key) or, with no admin key configured, 403. Its live log view is off: logs are not for the dashboard's audience.
/// </summary>
public static class OrleansDashboard
{
    public const string Path = "/dashboard";


    public static void AddTo(IClientBuilder client) => client.AddDashboard(o => o.HideTrace = true);

    public static void Map(WebApplication app, PlatformDashboardOptions options, OrleansHostOptions cluster, string? adminKey)
    {
        bool allowLoopback = options.EffectiveAllowLoopback(cluster);
        // A middleware, not an endpoint filter: it guards every route under the prefix, however the package maps them.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (http, next) =>
        {
            if (Allowed(http, allowLoopback, adminKey)) await next(http);
            else await Refuse(http, adminKey);
        }));
        app.MapOrleansDashboard(Path);
    }

    internal static bool Allowed(HttpContext http, bool allowLoopback, string? adminKey)
    {
        if (allowLoopback && http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)) return true;
        if (string.IsNullOrEmpty(adminKey)) return false;
        return PresentedKey(http.Request.Headers.Authorization.ToString()) is { } key && SameKey(key, adminKey);
    }

    /// <summary>The admin key as a Bearer token or as the password of HTTP Basic credentials (any user name).</summary>
    internal static string? PresentedKey(string authorization)
    {
        if (TenantAuthentication.BearerKey(authorization) is { } bearer) return bearer;
        const string basic = "Basic ";
        if (!authorization.StartsWith(basic, StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[basic.Length..].Trim()));
            int colon = pair.IndexOf(':');
            return colon < 0 ? null : pair[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task Refuse(HttpContext http, string? adminKey)
    {
        if (string.IsNullOrEmpty(adminKey))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsync("The dashboard is served to this machine only; set Gateway:AdminKey to reach it from elsewhere.\n");
            return;
        }
        var failures = http.RequestServices.GetService<FailedAuthentications>();
        if (failures is not null && !failures.TryCountFailure(http, out var retryAfter))
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"FlowTok dashboard\", charset=\"UTF-8\"";
        await http.Response.WriteAsync("Sign in with the admin key (Gateway:AdminKey) as the password, or send it as 'Authorization: Bearer <key>'.\n");
    }

    /// <summary>Compares in time independent of where the keys differ (hashes: equal lengths).</summary>
    private static bool SameKey(string presented, string configured) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}
