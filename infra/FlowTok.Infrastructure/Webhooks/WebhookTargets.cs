using System.Net;
using System.Net.Sockets;

namespace FlowTok.Infrastructure.Webhooks;

/// <summary>
/// Where webhooks may go: absolute http(s) URLs without credentials, to public addresses unless
/// <see cref="WebhookOptions.AllowPrivateTargets"/>. Checked on the URL at submission (a literal address, "localhost") and
/// on every address the name resolves to at delivery (a name that later resolves inward: DNS rebinding).
/// </summary>
public static class WebhookTargets
{
    public const int MaxUrlLength = 2048;

    /// <summary>Why <paramref name="url"/> is refused, or null when it may be used (its name is resolved at delivery).</summary>
    public static string? Refusal(string url, bool allowPrivate)
    {
        if (url.Length > MaxUrlLength) return $"webhook_url must be at most {MaxUrlLength} characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "webhook_url must be an absolute http or https URL";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "webhook_url must not contain credentials";
        if (!string.IsNullOrEmpty(uri.Fragment)) return "webhook_url must not contain a fragment";
        if (allowPrivate) return null;
        bool inward = IPAddress.TryParse(uri.IdnHost, out var address) ? !IsPublic(address)
            : uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
        return inward ? "webhook_url must not target a loopback, private, link-local or other non-public address" : null;
    }

    /// <summary>Whether <paramref name="address"/> is on the public internet: not loopback, private (RFC 1918, unique
    /// local), link-local, carrier-grade NAT, unspecified, multicast, reserved or documentation ranges (IPv4-mapped IPv6
    /// judged as IPv4).</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return false;
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19)
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        if (address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return false;
        if ((b[0] & 0xFE) == 0xFC) return false; // unique local fc00::/7
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return false; // documentation 2001:db8::/32
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) return false; // NAT64 64:ff9b::/96 embeds IPv4
        return b[0] is >= 0x20 and <= 0x3F; // global unicast 2000::/3 only
    }
}
