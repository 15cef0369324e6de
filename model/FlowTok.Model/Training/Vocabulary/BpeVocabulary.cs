using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FlowTok.Model.Text;

namespace FlowTok.Model.Training.Vocabulary;

/// <summary>
/// A learned byte-level BPE vocabulary in OpenAI CLIP's layout: the 256 byte-level characters, the same with
/// "&lt;/w&gt;", one token per merge (in merge order), then "&lt;|startoftext|&gt;" and "&lt;|endoftext|&gt;" last. Ids
/// are therefore small and stable, every byte has a token (unknown words still encode), and EOT is the highest id
/// (CLIP pools the text at the argmax id).
/// </summary>
public sealed class BpeVocabulary
{
    /// <summary>What Hugging Face's tokenizers write as the first line of <c>merges.txt</c>.</summary>
    public const string MergesHeader = "#version: 0.2";

    private readonly Dictionary<string, int> _tokens;

    internal BpeVocabulary(IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> words)
    {
        Merges = merges;
        Words = words;
        _tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (char c in ByteLevelAlphabet.Characters) _tokens.Add(c.ToString(), _tokens.Count);
        foreach (char c in ByteLevelAlphabet.Characters) _tokens.Add(c + ClipTokenizer.EndOfWordSuffix, _tokens.Count);
        // Two merge orders can build the same string (ab+c, a+bc): it keeps the id of its first merge.
        foreach (var (left, right) in merges) _tokens.TryAdd(left + right, _tokens.Count);
        _tokens.Add(ClipTokenizer.StartOfTextToken, _tokens.Count);
        _tokens.Add(ClipTokenizer.EndOfTextToken, _tokens.Count);
    }

    /// <summary>The merges in rank order (as written to <c>merges.txt</c>).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Token -> id, as written to <c>vocab.json</c>.</summary>
    public IReadOnlyDictionary<string, int> Tokens => _tokens;

    /// <summary>Number of tokens, the text encoder's <c>VocabSize</c>.</summary>
    public int Count => _tokens.Count;

    /// <summary>The distinct words of the corpus (cleaned, pre-tokenized), ordinally sorted.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>
    /// Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="directory"/> (created if needed), the files
    /// <see cref="ClipTokenizer.FromDirectory"/> and Hugging Face's <c>CLIPTokenizer</c> read. Returns their paths.
    /// </summary>
    public (string VocabJson, string MergesTxt) Save(string directory)
    {
        Directory.CreateDirectory(directory);
        string vocabPath = Path.Combine(directory, ClipTokenizer.HuggingFaceVocabFileName);
        string mergesPath = Path.Combine(directory, ClipTokenizer.HuggingFaceMergesFileName);

        var buffer = new MemoryStream();
        // Relaxed escaping writes the byte-level characters as themselves, as Python's ensure_ascii=False does.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            foreach (var (token, id) in _tokens.OrderBy(kv => kv.Value)) json.WriteNumber(token, id);
            json.WriteEndObject();
        }
        File.WriteAllBytes(vocabPath, buffer.ToArray());

        var merges = new StringBuilder().Append(MergesHeader).Append('\n');
        foreach (var (left, right) in Merges) merges.Append(left).Append(' ').Append(right).Append('\n');
        File.WriteAllText(mergesPath, merges.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        return (vocabPath, mergesPath);
    }

    /// <summary>Saves into <paramref name="directory"/> and loads it back as the tokenizer the model uses.</summary>
    public ClipTokenizer SaveAndLoadTokenizer(string directory, int contextLength = ClipTokenizer.DefaultContextLength)
    {
        var (vocab, merges) = Save(directory);
        return ClipTokenizer.FromHuggingFace(vocab, merges, contextLength);
    }
}
