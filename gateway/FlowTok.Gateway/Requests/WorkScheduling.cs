using System.Globalization;
using FlowTok.Contracts;
using FlowTok.Contracts.Jobs;

namespace FlowTok.Gateway.Requests;

/// <summary>
/// A request's <c>priority</c> and <c>timeout</c>: how its work is scheduled on the devices. Neither changes the output, so
/// neither is part of the request's canonical hash (an Idempotency-Key replay with another priority is the same request).
/// </summary>
public sealed record WorkScheduling(JobPriority? Priority, TimeSpan? Timeout)
{
    public static readonly WorkScheduling Default = new(null, null);

    /// <summary>
    /// The spec with the route's default priority where the request named none, and the deadline: work not started on a
    /// device by <c>now + timeout</c> is dropped. <paramref name="longest"/> (the synchronous routes' wait) caps it: a
    /// synchronous caller gone by then has no use for the work.
    /// </summary>
    public JobSpec ApplyTo(JobSpec spec, JobPriority routeDefault, DateTimeOffset now, TimeSpan? longest = null)
    {
        TimeSpan? wait = (Timeout, longest) switch
        {
            ({ } t, { } l) => t < l ? t : l,
            ({ } t, null) => t,
            (null, var l) => l,
        };
        return spec with { Priority = Priority ?? routeDefault, Deadline = wait is { } w ? now + w : null };
    }
}

public static partial class RequestValidation
{
    public static Validated<WorkScheduling> Scheduling(string? priority, double? timeout)
    {
        var errors = new FieldErrors();
        var scheduling = CheckScheduling(priority, timeout, errors);
        return new(errors.Count == 0 ? scheduling : null, errors.ToDictionary());
    }

    /// <summary>From multipart form fields (strings); an unparsable timeout is a field error.</summary>
    public static Validated<WorkScheduling> Scheduling(string? priority, string? timeout)
    {
        if (string.IsNullOrEmpty(timeout)) return Scheduling(string.IsNullOrEmpty(priority) ? null : priority, (double?)null);
        if (double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            return Scheduling(string.IsNullOrEmpty(priority) ? null : priority, seconds);
        var errors = new FieldErrors();
        errors.Add("timeout", "timeout must be a number of seconds");
        CheckScheduling(string.IsNullOrEmpty(priority) ? null : priority, null, errors);
        return new(null, errors.ToDictionary());
    }

    private static WorkScheduling CheckScheduling(string? priority, double? timeout, FieldErrors errors)
    {
        JobPriority? p = priority switch
        {
            null => null,
            "interactive" => JobPriority.Interactive,
            "batch" => JobPriority.Batch,
            _ => null,
        };
        if (priority is not null && p is null) errors.Add("priority", "priority must be \"interactive\" or \"batch\"");
        TimeSpan? t = null;
        if (timeout is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds < Limits.MinTimeoutSeconds || seconds > Limits.MaxTimeoutSeconds)
                errors.Add("timeout", $"timeout must be between {Limits.MinTimeoutSeconds.ToString(CultureInfo.InvariantCulture)} and {Limits.MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)} seconds");
            else t = TimeSpan.FromSeconds(seconds);
        }
        return new WorkScheduling(p, t);
    }
}
