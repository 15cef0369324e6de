using System.Diagnostics;

namespace FlowTok.Infrastructure.Observability;

/// <summary>
/// The platform's own spans, all from one <see cref="ActivitySource"/> ("FlowTok") that the hosts trace (ServiceDefaults),
/// beside ASP.NET Core's, Orleans' and MassTransit's. Attribute names are constants so every span says tenant, job and
/// model the same way.
/// </summary>
public static class PlatformTracing
{
    public const string SourceName = "FlowTok";

    public const string Tenant = "flowtok.tenant";
    public const string Job = "flowtok.job";
    public const string Item = "flowtok.item";
    /// <summary>The model's id (what clients name in <c>model</c>).</summary>
    public const string Model = "flowtok.model";
    /// <summary>The loaded model's version (the cache namespace: id, checkpoint digest, settings).</summary>
    public const string ModelVersion = "flowtok.model_version";
    public const string Device = "flowtok.device";
    public const string Step = "flowtok.step";
    public const string Rows = "flowtok.rows";
    public const string Outcome = "flowtok.outcome";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Starts a span under <paramref name="parent"/> (a context carried in data, not <see cref="Activity.Current"/>)
    /// and leaves <see cref="Activity.Current"/> as it was: for work that runs on another thread than the one that asked.</summary>
    public static Activity? StartDetached(string name, ActivityContext parent, DateTimeOffset start = default)
    {
        if (parent == default || !Source.HasListeners()) return null;
        var current = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parent, startTime: start);
        Activity.Current = current;
        return activity;
    }

    /// <summary>A finished span of known start and end under <paramref name="parent"/> (a phase measured on the device thread).</summary>
    public static Activity? Record(string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end)
    {
        var activity = StartDetached(name, parent, start);
        if (activity is null) return null;
        activity.SetEndTime(end.UtcDateTime);
        return activity;
    }

    /// <summary>Stops a span started by <see cref="StartDetached"/> without touching the caller's <see cref="Activity.Current"/>.</summary>
    public static void StopDetached(this Activity? activity)
    {
        if (activity is null) return;
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }
}
