using System.Diagnostics;
using System.Text;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>The spans of one trace as a tree: each span's children by start time, indented under it.</summary>
internal sealed class SpanTree
{
    private static readonly string[] ShownTags = ["flowtok.tenant", "flowtok.job", "flowtok.item", "flowtok.model", "flowtok.model_version", "flowtok.device",
        "flowtok.step", "flowtok.rows", "flowtok.outcome", "http.request.method", "http.route", "http.response.status_code",
        "messaging.destination.name", "rpc.service", "rpc.method"];

    private readonly Dictionary<ActivitySpanId, Activity> byId;
    private readonly ILookup<ActivitySpanId, Activity> children;

    public SpanTree(IEnumerable<Activity> spans)
    {
        Spans = spans.ToList();
        byId = Spans.ToDictionary(s => s.SpanId);
        children = Spans.ToLookup(s => s.ParentSpanId);
    }

    public IReadOnlyList<Activity> Spans { get; }

    /// <summary>Spans whose parent is not in the trace (one, when the trace is a tree).</summary>
    public IReadOnlyList<Activity> Roots => Spans.Where(s => !byId.ContainsKey(s.ParentSpanId)).ToList();

    /// <summary>The span and its ancestors up to the root, nearest first.</summary>
    public IEnumerable<Activity> Ancestry(Activity span)
    {
        for (var s = span; s is not null; s = byId.GetValueOrDefault(s.ParentSpanId)) yield return s;
    }

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var root in Roots.OrderBy(s => s.StartTimeUtc)) Render(root, 0, root.StartTimeUtc, text);
        return text.ToString();
    }

    private void Render(Activity span, int depth, DateTime origin, StringBuilder text)
    {
        var tags = ShownTags.Select(k => (k, v: span.GetTagItem(k))).Where(t => t.v is not null).Select(t => $"{t.k}={t.v}");
        text.Append(' ', depth * 2)
            .Append($"{span.DisplayName} [{span.Source.Name}, {span.Kind}] +{(span.StartTimeUtc - origin).TotalMilliseconds:F1} ms, {span.Duration.TotalMilliseconds:F1} ms");
        if (tags.Any()) text.Append("  ").AppendJoin(' ', tags);
        text.AppendLine();
        foreach (var child in children[span.SpanId].OrderBy(s => s.StartTimeUtc)) Render(child, depth + 1, origin, text);
    }
}
