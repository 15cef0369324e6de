using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlowTok.Infrastructure.Webhooks;

/// <summary>
/// Configuration section "Webhooks", read by gateways (the URL policy at submission, tenants' secrets) and silos (delivery):
/// every process of a platform must have the same values.
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>The platform's key from which each tenant's signing secret is derived (<see cref="WebhookSignature"/>); at
    /// least 32 characters. Unset: webhooks are off and a job naming one is refused (400).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Lets webhooks target loopback, private, link-local and other non-public addresses (tests, a private network).
    /// Off: such targets are refused at submission and again at delivery, after the name is resolved.</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>How long one delivery attempt may take (connect, send, response headers).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the second attempt; each further wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts in all, the first included; then the delivery is given up (and logged). The defaults span about 34 min.</summary>
    public int MaxAttempts { get; set; } = 15;

    /// <summary>Period of the durable reminder that resumes a pending delivery after its silo stopped or died: the longest a
    /// restart delays a delivery beyond its due time.</summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    public bool Enabled => !string.IsNullOrEmpty(SigningKey);

    /// <summary>The wait after <paramref name="failedAttempts"/> failed attempts: 1 s, 2 s, 4 s ... capped.</summary>
    public TimeSpan RetryDelay(int failedAttempts)
    {
        double factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(FirstRetryDelay.Ticks * factor, MaxRetryDelay.Ticks));
    }
}

public static class WebhookOptionsRegistration
{
    /// <summary>Binds section "Webhooks"; a set signing key shorter than 32 characters stops the process at start.</summary>
    public static IServiceCollection AddFlowTokWebhookOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section))
            .Validate(o => string.IsNullOrEmpty(o.SigningKey) || o.SigningKey.Length >= 32,
                "Webhooks:SigningKey must be at least 32 characters (e.g. `openssl rand -hex 24`); leave it unset to turn webhooks off")
            .Validate(o => o.MaxAttempts >= 1 && o.AttemptTimeout > TimeSpan.Zero && o.FirstRetryDelay > TimeSpan.Zero && o.ReminderPeriod > TimeSpan.Zero,
                "Webhooks: MaxAttempts must be at least 1 and AttemptTimeout, FirstRetryDelay and ReminderPeriod positive")
            .ValidateOnStart();
        return services;
    }
}
