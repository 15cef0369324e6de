using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace FlowTok.Gateway.Jobs;

/// <summary>Job ids: "job-" + 26 Crockford base32 characters, ULID-like (48-bit millisecond time, 80 random bits), so they sort by creation.</summary>
public static partial class JobIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New() => New(DateTimeOffset.UtcNow);

    public static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        ulong millis = (ulong)now.ToUnixTimeMilliseconds();
        for (int i = 0; i < 6; i++) bytes[i] = (byte)(millis >> (8 * (5 - i)));
        RandomNumberGenerator.Fill(bytes[6..]);
        // 128 bits as 26 base32 digits (the first digit carries 3 bits).
        UInt128 value = 0;
        foreach (byte b in bytes) value = (value << 8) | b;
        Span<char> text = stackalloc char[26];
        for (int i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return "job-" + new string(text);
    }

    /// <summary>Whether <paramref name="id"/> could be a job id (anything else is answered 404 without touching a grain).</summary>
    public static bool IsWellFormed(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex("^job-[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    private static partial Regex Pattern();
}
