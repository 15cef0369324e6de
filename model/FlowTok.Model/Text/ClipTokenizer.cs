using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace FlowTok.Model.Text;

/// <summary>
/// OpenAI CLIP's BPE tokenizer: every prompt becomes <see cref="ContextLength"/> ids, <c>[SOT, text..., EOT, 0...]</c>,
/// id for id as OpenAI's <c>clip.tokenize(texts, truncate=True)</c>.
/// </summary>
/// <remarks>
/// The BPE is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (byte-level, end-of-word suffix "&lt;/w&gt;"); this
/// class adds CLIP's text cleaning and pre-tokenization (<see cref="ClipNormalizer"/>, <see cref="ClipPreTokenizer"/>),
/// builds the vocabulary the way OpenAI does from its merges file, and frames, pads and truncates.
/// Instances are immutable and safe for concurrent use.
/// </remarks>
public sealed class ClipTokenizer
{
    public const int DefaultContextLength = 77;
    public const string StartOfTextToken = "<|startoftext|>";
    public const string EndOfTextToken = "<|endoftext|>";
    public const string EndOfWordSuffix = "</w>";

    /// <summary>OpenAI pads with id 0 (which is also the token "!"), not with EOT as some Hugging Face configs do.</summary>
    public const int PaddingId = 0;

    public const string OpenAiMergesFileName = "bpe_simple_vocab_16e6.txt.gz";
    public const string HuggingFaceVocabFileName = "vocab.json";
    public const string HuggingFaceMergesFileName = "merges.txt";

    // OpenAI keeps merges lines[1 : 49152-256-2+1]: 49152 BPE tokens minus the 256 bytes and the 2 special tokens.
    private const int OpenAiMergeCount = 49152 - 256 - 2;

    // Repeated prompts (n images per prompt, retries, popular prompts) skip cleaning and BPE; long texts are not kept.
    private const int PromptCacheCapacity = 4096;
    private const int MaxCachedPromptLength = 1024;


    private readonly BpeTokenizer _bpe;
    private readonly string?[] _tokensById;
    private readonly ConcurrentDictionary<string, long[]> _promptCache = new(StringComparer.Ordinal);

    private ClipTokenizer(Dictionary<string, int> vocab, List<string> merges, int contextLength, string source)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);

        StartOfText = vocab.TryGetValue(StartOfTextToken, out int sot)
            ? sot
            : throw new InvalidDataException($"{source}: the vocabulary has no '{StartOfTextToken}' token.");
        EndOfText = vocab.TryGetValue(EndOfTextToken, out int eot)
            ? eot
            : throw new InvalidDataException($"{source}: the vocabulary has no '{EndOfTextToken}' token.");

        // Byte-level BPE needs every byte, alone and word-final; a missing one would be dropped silently.
        foreach ((byte b, char c) in ByteLevelAlphabet.Pairs)
        {
            if (!vocab.ContainsKey(c.ToString()) || !vocab.ContainsKey(c + EndOfWordSuffix))
            {
                throw new InvalidDataException(
                    $"{source}: the vocabulary lacks the byte-level token for byte 0x{b:X2} ('{c}' or '{c}{EndOfWordSuffix}').");
            }
        }

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            Normalizer = ClipNormalizer.Instance,
            PreTokenizer = ClipPreTokenizer.Instance,
            SpecialTokens = new Dictionary<string, int> { [StartOfTextToken] = sot, [EndOfTextToken] = eot },
            ByteLevel = true,
            EndOfWordSuffix = EndOfWordSuffix,
            BeginningOfSentenceToken = StartOfTextToken,
            EndOfSentenceToken = EndOfTextToken,
        };

        try
        {
            _bpe = BpeTokenizer.Create(options);
        }
        catch (InvalidOperationException e)
        {
            // The library reports merges that name unknown tokens this way.
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }

        ContextLength = contextLength;
        VocabSize = vocab.Values.Max() + 1;
        _tokensById = new string?[VocabSize];
        foreach ((string token, int id) in vocab)
        {
            _tokensById[id] = token;
        }
    }

    /// <summary>Ids per prompt, SOT and EOT included.</summary>
    public int ContextLength { get; }

    /// <summary>Rows of the token embedding: the largest id plus one.</summary>
    public int VocabSize { get; }

    public int StartOfText { get; }

    public int EndOfText { get; }

    /// <summary>Loads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> (a header line, then one merge per line).</summary>
    public static ClipTokenizer FromOpenAiMergesGz(string path, int contextLength = DefaultContextLength)
    {
        string[] lines = ReadText(path, gzip: true).Split('\n');
        if (lines.Length - 1 < OpenAiMergeCount)
        {
            throw new InvalidDataException(
                $"{path}: expected at least {OpenAiMergeCount} merge lines after the header line, found {Math.Max(lines.Length - 1, 0)}.");
        }

        var merges = new List<string>(OpenAiMergeCount);
        for (int line = 1; line <= OpenAiMergeCount; line++)
        {
            // Python's str.split(): any run of whitespace separates, a trailing '\r' included.
            string[] pair = lines[line].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (pair.Length != 2)
            {
                throw new InvalidDataException(
                    $"{path}: line {line + 1} should be a merge of two tokens separated by a space, but is '{lines[line]}'.");
            }

            merges.Add($"{pair[0]} {pair[1]}");
        }

        // OpenAI's vocabulary: the 256 byte characters, the same with "</w>", one token per merge, the 2 special tokens.
        var vocab = new Dictionary<string, int>(2 * 256 + OpenAiMergeCount + 2, StringComparer.Ordinal);
        foreach (char c in ByteLevelAlphabet.Characters)
        {
            vocab.Add(c.ToString(), vocab.Count);
        }

        foreach (char c in ByteLevelAlphabet.Characters)
        {
            vocab.Add(c + EndOfWordSuffix, vocab.Count);
        }

        foreach (string token in merges.Select(m => m.Replace(" ", string.Empty, StringComparison.Ordinal)).Append(StartOfTextToken).Append(EndOfTextToken))
        {
            if (!vocab.TryAdd(token, vocab.Count))
            {
                throw new InvalidDataException($"{path}: the merges produce the token '{token}' twice.");
            }
        }

        return new ClipTokenizer(vocab, merges, contextLength, path);
    }

    /// <summary>Loads a Hugging Face <c>CLIPTokenizer</c>'s <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static ClipTokenizer FromHuggingFace(string vocabJsonPath, string mergesTxtPath, int contextLength = DefaultContextLength)
    {
        Dictionary<string, int> vocab = ReadVocabJson(vocabJsonPath);

        var merges = new List<string>();
        string[] lines = ReadText(mergesTxtPath, gzip: false).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException(
                    $"{mergesTxtPath}: line {i + 1} should be a merge of two tokens separated by one space, but is '{line}'.");
            }

            merges.Add(line);
        }

        return new ClipTokenizer(vocab, merges, contextLength, $"{vocabJsonPath} + {mergesTxtPath}");
    }

    /// <summary>
    /// Loads whichever tokenizer files <paramref name="dir"/> holds: Hugging Face <c>vocab.json</c> + <c>merges.txt</c>,
    /// else OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c>.
    /// </summary>
    public static ClipTokenizer FromDirectory(string dir, int contextLength = DefaultContextLength)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"CLIP tokenizer directory not found: {dir}");
        }

        string vocab = Path.Combine(dir, HuggingFaceVocabFileName);
        string merges = Path.Combine(dir, HuggingFaceMergesFileName);
        string openAi = Path.Combine(dir, OpenAiMergesFileName);
        return (File.Exists(vocab), File.Exists(merges), File.Exists(openAi)) switch
        {
            (true, true, _) => FromHuggingFace(vocab, merges, contextLength),
            (_, _, true) => FromOpenAiMergesGz(openAi, contextLength),
            (true, false, _) => throw new FileNotFoundException($"CLIP tokenizer file not found: {merges} (needed with {vocab}).", merges),
            (false, true, _) => throw new FileNotFoundException($"CLIP tokenizer file not found: {vocab} (needed with {merges}).", vocab),
            _ => throw new FileNotFoundException(
                $"CLIP tokenizer: {dir} holds neither {HuggingFaceVocabFileName} + {HuggingFaceMergesFileName} nor {OpenAiMergesFileName}.", openAi),
        };
    }

    /// <summary>
    /// <see cref="ContextLength"/> ids: SOT, the text's BPE ids, EOT, then <see cref="PaddingId"/>. Too long a text is
    /// cut and its last id replaced by EOT, as OpenAI's <c>truncate=True</c>.
    /// </summary>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_promptCache.TryGetValue(text, out long[]? cached))
        {
            return (long[])cached.Clone();
        }

        // SOT ... EOT, by the BPE options; the library returns nothing at all for an empty string.
        IReadOnlyList<int> ids = text.Length == 0 ? [StartOfText, EndOfText] : _bpe.EncodeToIds(text);
        var result = new long[ContextLength];
        for (int i = 0; i < Math.Min(ids.Count, ContextLength); i++)
        {
            result[i] = ids[i];
        }

        if (ids.Count > ContextLength)
        {
            result[^1] = EndOfText;
        }

        if (text.Length <= MaxCachedPromptLength && _promptCache.Count < PromptCacheCapacity)
        {
            _promptCache.TryAdd(text, (long[])result.Clone());
        }

        return result;
    }

    /// <summary>[texts.Count, <see cref="ContextLength"/>], one <see cref="Encode"/> per row.</summary>
    public long[,] EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var batch = new long[texts.Count, ContextLength];
        for (int row = 0; row < texts.Count; row++)
        {
            long[] ids = Encode(texts[row]);
            for (int i = 0; i < ids.Length; i++)
            {
                batch[row, i] = ids[i];
            }
        }

        return batch;
    }

    /// <summary>
    /// Text of ids as OpenAI's <c>decode</c> (every "&lt;/w&gt;" becomes a space, so the text ends with one, and no
    /// trimming). The leading SOT is skipped and the text ends at the first EOT, so the padding after it is ignored
    /// (without an EOT, trailing padding is dropped). A SOT inside the text is text: the user typed "&lt;|startoftext|&gt;".
    /// </summary>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        int textEnd = -1; // tokens before the first EOT
        int lastNonPadding = 0;
        bool first = true;
        foreach (long id in ids)
        {
            if (id == EndOfText)
            {
                textEnd = tokens.Count;
                break;
            }

            if (first && id == StartOfText)
            {
                first = false;
                continue;
            }

            first = false;
            string token = (id >= 0 && id < _tokensById.Length ? _tokensById[id] : null)
                ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the CLIP vocabulary.");
            tokens.Add(token);
            if (id != PaddingId)
            {
                lastNonPadding = tokens.Count;
            }
        }

        // Without an EOT, trailing 0s are padding: a whole text ends with a word-final "...</w>" token, never "!" (0).
        // Before an EOT they are text: truncation can cut a word after a "!".
        int count = textEnd >= 0 ? textEnd : lastNonPadding;

        var bytes = new List<byte>();
        foreach (string token in tokens.Take(count))
        {
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.TryGetByte(c, out byte b))
                {
                    bytes.Add(b);
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString())); // not byte-level: keep the character
                }
            }
        }

        // Invalid UTF-8 (a cut multi-byte character) becomes U+FFFD, as Python's errors="replace".
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace(EndOfWordSuffix, " ", StringComparison.Ordinal);
    }

    private static string ReadText(string path, bool gzip)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CLIP tokenizer file not found: {path}", path);
        }

        try
        {
            using Stream file = File.OpenRead(path);
            using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(content, new UTF8Encoding(false, throwOnInvalidBytes: true));
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: not {(gzip ? "a gzip-compressed " : "a ")}UTF-8 text file ({e.Message}).", e);
        }
    }

    private static Dictionary<string, int> ReadVocabJson(string path)
    {
        string json = ReadText(path, gzip: false);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: expected a JSON object mapping tokens to ids, found {document.RootElement.ValueKind}.");
            }

            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                {
                    throw new InvalidDataException($"{path}: token '{entry.Name}' should map to a non-negative integer id, not {entry.Value.GetRawText()}.");
                }

                if (!vocab.TryAdd(entry.Name, id))
                {
                    throw new InvalidDataException($"{path}: token '{entry.Name}' appears twice.");
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        if (vocab.Values.Distinct().Count() != vocab.Count)
        {
            throw new InvalidDataException($"{path}: two tokens share an id.");
        }

        return vocab;
    }
}
