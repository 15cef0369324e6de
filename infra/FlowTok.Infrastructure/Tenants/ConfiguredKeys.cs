namespace FlowTok.Infrastructure.Tenants;

/// <summary>
/// Rules for keys an operator writes into configuration (tenant keys, the development key, the admin key): a key copied
/// from an example or too short to resist guessing is refused at start-up rather than put in service.
/// </summary>
public static class ConfiguredKeys
{
    public const int MinimumLength = 32;

    static readonly string[] Placeholders = ["changeme", "change-me", "change_me", "placeholder", "password", "example", "your-key", "yourkey", "your_key", "secret"];

    /// <summary>Why <paramref name="key"/> may not be used, naming the <paramref name="setting"/>; null when it may.</summary>
    public static string? Refusal(string setting, string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return $"{setting} is empty";
        }
        var lower = key.ToLowerInvariant();
        if (key.Contains('<') || key.Contains('>') || Placeholders.Any(lower.Contains))
        {
            return $"{setting} looks like a placeholder (angle brackets or a word such as 'changeme'): set a random key, e.g. `openssl rand -hex 24`";
        }
        if (key.Length < MinimumLength || key.Any(char.IsWhiteSpace))
        {
            return $"{setting} must be at least {MinimumLength} characters without spaces (it has {key.Length}): set a random key, e.g. `openssl rand -hex 24`";
        }
        return null;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> with <see cref="Refusal"/>'s reason.</summary>
    public static void Check(string setting, string? key)
    {
        if (Refusal(setting, key) is { } reason)
        {
            throw new InvalidOperationException(reason);
        }
    }
}
