using System.Collections;
using System.Diagnostics;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>Where the in-memory exporter puts finished spans: adds come from the threads that end them, reads from the test.</summary>
internal sealed class SpanSink : ICollection<Activity>
{
    private readonly List<Activity> spans = [];
    private readonly Lock gate = new();

    public Activity[] Snapshot()
    {
        lock (gate) return [.. spans];
    }

    public void Add(Activity item)
    {
        lock (gate) spans.Add(item);
    }

    public void Clear()
    {
        lock (gate) spans.Clear();
    }

    public int Count
    {
        get
        {
            lock (gate) return spans.Count;
        }
    }

    public bool IsReadOnly => false;

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (gate) return spans.Remove(item);
    }

    public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
