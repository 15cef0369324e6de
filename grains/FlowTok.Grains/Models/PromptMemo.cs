using FlowTok.Infrastructure.Storage;

namespace FlowTok.Grains.Models;

/// <summary>
/// The replica's in-memory front of the prompt cache: the most recently used prompt encodings, so a hot prompt costs
/// no Redis round trip (its CLIP states are tens of KB). Least recently used entries leave first.
/// </summary>
public sealed class PromptMemo(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Prompt, PromptEncodingRecord Encoding)>> index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Prompt, PromptEncodingRecord Encoding)> recency = new();

    public PromptEncodingRecord? Get(string prompt)
    {
        lock (index)
        {
            if (!index.TryGetValue(prompt, out var node)) return null;
            recency.Remove(node);
            recency.AddFirst(node);
            return node.Value.Encoding;
        }
    }

    public void Set(string prompt, PromptEncodingRecord encoding)
    {
        if (capacity <= 0) return;
        lock (index)
        {
            if (index.Remove(prompt, out var old)) recency.Remove(old);
            index[prompt] = recency.AddFirst((prompt, encoding));
            while (index.Count > capacity)
            {
                index.Remove(recency.Last!.Value.Prompt);
                recency.RemoveLast();
            }
        }
    }

    public int Count
    {
        get { lock (index) return index.Count; }
    }
}
