using FlowTok.Storage;

namespace FlowTok.Grains.Models;

/// <summary>
/// The replica's in-memory front of the prompt cache: the most recently used prompt encodings, so a hot prompt costs
/// no Redis round trip (its CLIP states are tens of KB). Least recently used entries leave first. Entries are a tenant's
/// own: another tenant's identical prompt is a miss, so a hit tells no tenant what another asked for.
/// </summary>
public sealed class PromptMemo(int capacity)
{
    private readonly Dictionary<(string Tenant, string Prompt), LinkedListNode<((string Tenant, string Prompt) Key, PromptEncodingRecord Encoding)>> index = [];
    private readonly LinkedList<((string Tenant, string Prompt) Key, PromptEncodingRecord Encoding)> recency = new();

    public PromptEncodingRecord? Get(string tenant, string prompt)
    {
        lock (index)
        {
            if (!index.TryGetValue((tenant, prompt), out var node)) return null;
            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value.Encoding;
        }
    }

    public void Set(string tenant, string prompt, PromptEncodingRecord encoding)
    {
        if (capacity <= 0) return;
        var key = (tenant, prompt);
        lock (index)
        {
            if (index.Remove(key, out var old)) recency.Remove(old);
            index[key] = recency.AddFirst((key, encoding));
            while (index.Count > capacity)
            {
                index.Remove(recency.Last!.Value.Key);
                recency.RemoveLast();
            }
        }
    }

    public int Count
    {
        get { lock (index) return index.Count; }
    }
}
