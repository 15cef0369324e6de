using FlowTok.Model.Text;

namespace FlowTok.Model.Training.Vocabulary;

/// <summary>
/// Learns a CLIP-style byte-level BPE vocabulary from a corpus (the dataset's captions), so the project ships its
/// own <c>vocab.json</c> + <c>merges.txt</c> instead of OpenAI's file.
/// </summary>
/// <remarks>
/// The standard procedure: the corpus is cleaned and split into words exactly as <see cref="ClipTokenizer"/> does,
/// each word becomes its UTF-8 bytes as byte-level symbols with "&lt;/w&gt;" on the last one, then the most frequent
/// adjacent pair (counted over all word occurrences) is merged everywhere, again and again, until every word is one
/// symbol or <see cref="MaxMerges"/> is spent. Ties go to the ordinally smallest pair, so the result depends on the
/// corpus's content alone, never on its order.
/// </remarks>
public sealed class BpeVocabularyBuilder
{
    /// <summary>No limit in practice for a caption grammar; a budget for open text.</summary>
    public const int DefaultMaxMerges = 10_000;

    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);

    public BpeVocabularyBuilder(int maxMerges = DefaultMaxMerges)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMerges);
        MaxMerges = maxMerges;
    }

    public int MaxMerges { get; }

    /// <summary>Counts the words of <paramref name="text"/>, after CLIP's cleaning and pre-tokenization.</summary>
    public BpeVocabularyBuilder Add(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string normalized = ClipNormalizer.Instance.Normalize(text);
        foreach ((int offset, int length) in ClipPreTokenizer.Instance.PreTokenize(normalized))
        {
            string word = normalized.Substring(offset, length);
            // The pre-tokenizer keeps SOT/EOT whole; they are special tokens, never BPE words.
            if (word is ClipTokenizer.StartOfTextToken or ClipTokenizer.EndOfTextToken) continue;
            _wordCounts[word] = _wordCounts.GetValueOrDefault(word) + 1;
        }
        return this;
    }

    public BpeVocabularyBuilder AddRange(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        foreach (string text in texts) Add(text);
        return this;
    }

    /// <summary>One call for the common case: learn from <paramref name="corpus"/> with the default budget.</summary>
    public static BpeVocabulary Build(IEnumerable<string> corpus, int maxMerges = DefaultMaxMerges) =>
        new BpeVocabularyBuilder(maxMerges).AddRange(corpus).Build();

    /// <summary>Runs the merges and lays out the vocabulary (see <see cref="BpeVocabulary"/>).</summary>
    public BpeVocabulary Build()
    {
        // Sorted, so iteration order (and with it everything below) is independent of insertion order.
        var words = _wordCounts
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new Word(WordSymbols(kv.Key), kv.Value))
            .ToList();

        var merges = new List<(string Left, string Right)>();
        var known = new HashSet<(string, string)>();
        while (merges.Count < MaxMerges)
        {
            var best = MostFrequentPair(words);
            if (best is not { } pair) break; // every word is one symbol
            foreach (var word in words) word.Merge(pair.Left, pair.Right);
            // A pair can recur only when two merge orders build the same symbol; the first merge already covers it.
            if (known.Add(pair)) merges.Add(pair);
        }

        return new BpeVocabulary(merges, words: _wordCounts.Keys.Order(StringComparer.Ordinal).ToList());
    }

    private static List<string> WordSymbols(string word)
    {
        var symbols = ByteLevelAlphabet.Symbols(word);
        symbols[^1] += ClipTokenizer.EndOfWordSuffix; // CLIP marks the word's end on its last symbol
        return symbols;
    }

    /// <summary>The pair with the highest count, the ordinally smallest (left, then right) among equals; null when none.</summary>
    private static (string Left, string Right)? MostFrequentPair(List<Word> words)
    {
        var counts = new Dictionary<(string, string), long>();
        foreach (var word in words)
        {
            for (int i = 0; i + 1 < word.Symbols.Count; i++)
            {
                var pair = (word.Symbols[i], word.Symbols[i + 1]);
                counts[pair] = counts.GetValueOrDefault(pair) + word.Count;
            }
        }

        (string Left, string Right)? best = null;
        long bestCount = 0;
        foreach (var ((left, right), count) in counts)
        {
            if (count > bestCount || (count == bestCount && best is { } b && Compare((left, right), b) < 0))
            {
                best = (left, right);
                bestCount = count;
            }
        }
        return best;
    }

    private static int Compare((string Left, string Right) x, (string Left, string Right) y)
    {
        int c = string.CompareOrdinal(x.Left, y.Left);
        return c != 0 ? c : string.CompareOrdinal(x.Right, y.Right);
    }

    private sealed class Word(List<string> symbols, long count)
    {
        public List<string> Symbols { get; } = symbols;
        public long Count { get; } = count;

        /// <summary>Merges every occurrence of (left, right), left to right without overlap, as BPE does.</summary>
        public void Merge(string left, string right)
        {
            for (int i = 0; i + 1 < Symbols.Count; i++)
            {
                if (Symbols[i] == left && Symbols[i + 1] == right)
                {
                    Symbols[i] = left + right;
                    Symbols.RemoveAt(i + 1);
                }
            }
        }
    }
}
