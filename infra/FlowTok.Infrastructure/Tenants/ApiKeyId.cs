using FlowTok.Infrastructure.Redis;

namespace FlowTok.Infrastructure.Tenants;

/// <summary>
/// A key's public name: the first 16 hex digits of its SHA-256. It names a key in listings and revocations without
/// revealing it (the key itself is never stored).
/// </summary>
public static class ApiKeyId
{
    public const int Length = 16;

    public static string Of(string apiKey) => FromHash(RedisKeys.Sha256Hex(apiKey));

    public static string FromHash(string keySha256Hex) => keySha256Hex[..Length];

    /// <summary>Whether the text has the shape of a key id (16 lower-case hex digits).</summary>
    public static bool IsWellFormed(string? id) => id is { Length: Length } && id.All(char.IsAsciiHexDigitLower);
}
