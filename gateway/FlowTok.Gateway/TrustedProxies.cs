using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace FlowTok.Gateway;

/// <summary>
/// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-For are believed only from the reverse proxies configured in
/// <see cref="GatewayOptions.TrustedProxies"/> and <see cref="GatewayOptions.TrustedNetworks"/> (ASP.NET Core's forwarded
/// headers middleware, with those as its only known proxies): a client that sends them itself cannot make the links the
/// API hands out point elsewhere. <see cref="GatewayOptions.PublicBaseUrl"/>, when set, decides links above all.
/// </summary>
public static class TrustedProxies
{
    public static bool AreConfigured(GatewayOptions options) => options.TrustedProxies.Count + options.TrustedNetworks.Count > 0;

    public static void Configure(ForwardedHeadersOptions forwarded, GatewayOptions options)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        // Only what is configured: not the middleware's default of trusting loopback.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in options.TrustedProxies)
            forwarded.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                : throw new InvalidOperationException($"Gateway:TrustedProxies: '{proxy}' is not an IP address"));
        foreach (var network in options.TrustedNetworks)
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                : throw new InvalidOperationException($"Gateway:TrustedNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8)"));
    }
}
