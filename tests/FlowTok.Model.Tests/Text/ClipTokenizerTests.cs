using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FlowTok.Model.Text;

namespace FlowTok.Model.Tests.Text;

public sealed class ClipTokenizerTests(ClipTokenizerTests.SharedTokenizer shared) : IClassFixture<ClipTokenizerTests.SharedTokenizer>
{
    private const int Sot = 49406;
    private const int Eot = 49407;

    private readonly ClipTokenizer _tokenizer = shared.Tokenizer;

    /// <summary>Loads OpenAI's merges file once for the whole class (about half a second).</summary>
    public sealed class SharedTokenizer
    {
        public ClipTokenizer Tokenizer { get; } = ClipTokenizer.FromOpenAiMergesGz(Files.OpenAiMerges);
    }

    [Fact]
    public void MatchesReferenceIdsForEveryCase()
    {
        Files.Fixture fixture = Files.LoadFixture();
        Assert.NotEmpty(fixture.Cases);
        Assert.Equal(fixture.ContextLength, _tokenizer.ContextLength);
        Assert.Equal(fixture.VocabSize, _tokenizer.VocabSize);
        Assert.Equal(fixture.Sot, _tokenizer.StartOfText);
        Assert.Equal(fixture.Eot, _tokenizer.EndOfText);

        string[] failures = fixture.Cases
            .Where(c => !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids))
            .Select(c => $"{JsonSerializer.Serialize(c.Text)}: expected [{string.Join(",", c.Ids)}], got [{string.Join(",", _tokenizer.Encode(c.Text))}]")
            .ToArray();
        Assert.True(failures.Length == 0, string.Join("\n", failures));
    }

    [Fact]
    public void MatchesReferenceDecodeForEveryCase()
    {
        string[] failures = Files.LoadFixture().Cases
            .Where(c => _tokenizer.Decode(c.Ids) != c.Decoded)
            .Select(c => $"{JsonSerializer.Serialize(c.Text)}: expected {JsonSerializer.Serialize(c.Decoded)}, got {JsonSerializer.Serialize(_tokenizer.Decode(c.Ids))}")
            .ToArray();
        Assert.True(failures.Length == 0, string.Join("\n", failures));
    }

    [Fact]
    public void HuggingFaceFilesGiveTheSameIdsAsTheOpenAiFile()
    {
        using var dir = new TempDirectory();
        (string vocab, string merges) = dir.WriteHuggingFaceFiles();

        var huggingFace = ClipTokenizer.FromHuggingFace(vocab, merges);

        Assert.Equal(_tokenizer.VocabSize, huggingFace.VocabSize);
        Assert.Equal(_tokenizer.StartOfText, huggingFace.StartOfText);
        Assert.Equal(_tokenizer.EndOfText, huggingFace.EndOfText);
        foreach (Files.Case c in Files.LoadFixture().Cases)
        {
            Assert.Equal(c.Ids, huggingFace.Encode(c.Text));
            Assert.Equal(c.Decoded, huggingFace.Decode(c.Ids));
        }
    }

    [Fact]
    public void FromDirectoryPrefersHuggingFaceFilesAndFallsBackToTheOpenAiFile()
    {
        using var openAiOnly = new TempDirectory();
        File.Copy(Files.OpenAiMerges, Path.Combine(openAiOnly.Path, ClipTokenizer.OpenAiMergesFileName));
        using var huggingFaceOnly = new TempDirectory();
        huggingFaceOnly.WriteHuggingFaceFiles();

        long[] expected = _tokenizer.Encode("a red circle on a blue background");
        Assert.Equal(expected, ClipTokenizer.FromDirectory(openAiOnly.Path).Encode("a red circle on a blue background"));
        Assert.Equal(expected, ClipTokenizer.FromDirectory(huggingFaceOnly.Path).Encode("a red circle on a blue background"));
        Assert.Equal(16, ClipTokenizer.FromDirectory(openAiOnly.Path, contextLength: 16).ContextLength);
    }

    [Fact]
    public void EveryPromptBecomesContextLengthIdsFramedBySotAndEot()
    {
        foreach (string text in new[] { "", "   ", "hello world", "a photo of a cat" })
        {
            long[] ids = _tokenizer.Encode(text);
            Assert.Equal(ClipTokenizer.DefaultContextLength, ids.Length);
            Assert.Equal(Sot, ids[0]);
            int eot = Array.IndexOf(ids, (long)Eot);
            Assert.True(eot > 0, text);
            Assert.All(ids[(eot + 1)..], id => Assert.Equal(ClipTokenizer.PaddingId, id));
        }

        Assert.Equal(new long[] { Sot, Eot, 0 }, _tokenizer.Encode("")[..3]);
    }

    [Fact]
    public void TruncationKeepsEotAsTheLastId()
    {
        long[] ids = _tokenizer.Encode(string.Join(' ', Enumerable.Repeat("very", 200)));
        Assert.Equal(77, ids.Length);
        Assert.Equal(Eot, ids[76]);
        Assert.All(ids[1..76], id => Assert.Equal(1070, id)); // "very</w>"

        // "a photo of a cat" is SOT 320 1125 539 320 2368 EOT.
        Assert.Equal(new long[] { Sot, 320, 1125, 539, Eot }, ClipTokenizer.FromOpenAiMergesGz(Files.OpenAiMerges, 5).Encode("a photo of a cat"));
        Assert.Equal(new long[] { Sot, 320, 1125, 539, 320, 2368, Eot, 0 }, ClipTokenizer.FromOpenAiMergesGz(Files.OpenAiMerges, 8).Encode("a photo of a cat"));
    }

    [Fact]
    public void TextIsCleanedLikeOpenAiBeforeBpe()
    {
        // html.unescape twice (HTML5 names, legacy names without ';', windows-1252 numeric references).
        Assert.Equal(_tokenizer.Encode("&"), _tokenizer.Encode("&amp;amp;"));
        Assert.Equal(_tokenizer.Encode("\u00ACit \u2013 \U0001F600"), _tokenizer.Encode("&notit &#150; &#x1F600;"));
        // Python's isspace (U+3000, U+001C) collapses to one space.
        Assert.Equal(_tokenizer.Encode("tab and newline"), _tokenizer.Encode("tab\u3000and\u001Cnewline"));
        // Python's lower: final sigma and the dotted capital I.
        Assert.Equal(_tokenizer.Encode("\u03BF\u03B4\u03BF\u03C2 \u03BF\u03B4\u03BF\u03C2."), _tokenizer.Encode("\u039F\u0394\u039F\u03A3 \u039F\u0394\u039F\u03A3."));
        Assert.Equal(_tokenizer.Encode("i\u0307"), _tokenizer.Encode("\u0130"));
    }

    [Fact]
    public void PreTokenizationFollowsPythonRegexOnCodePoints()
    {
        // Reference ids from OpenAI's SimpleTokenizer.
        Assert.Equal(new long[] { Sot, 320, Eot, 321, Eot }, _tokenizer.Encode("a<|endoftext|>b")[..5]);
        Assert.Equal(new long[] { Sot, 64, 172, 254, 222, 222, 321, Eot }, _tokenizer.Encode("a\U00020000b")[..8]); // a CJK ext-B letter stays in the word
        Assert.Equal(new long[] { Sot, 343, 6874, 253, 502, Eot }, _tokenizer.Encode("x\U0001D7D8")[..6]); // a math digit is a number
        Assert.Equal(new long[] { Sot, 3306, 995, 1002, Eot }, _tokenizer.Encode("hello!!!world")[..5]);
    }

    [Fact]
    public void EncodeBatchStacksEncodeRows()
    {
        string[] texts = ["hello world", "", "a dog \U0001F415 and a cat \U0001F408"];
        long[,] batch = _tokenizer.EncodeBatch(texts);

        Assert.Equal(texts.Length, batch.GetLength(0));
        Assert.Equal(_tokenizer.ContextLength, batch.GetLength(1));
        for (int row = 0; row < texts.Length; row++)
        {
            long[] ids = _tokenizer.Encode(texts[row]);
            Assert.Equal(ids, Enumerable.Range(0, ids.Length).Select(i => batch[row, i]));
        }
    }

    [Fact]
    public void ConcurrentEncodesAgreeWithTheReference()
    {
        var fresh = ClipTokenizer.FromOpenAiMergesGz(Files.OpenAiMerges); // cold caches, filled concurrently
        Files.Case[] cases = Files.LoadFixture().Cases;
        var results = new long[cases.Length * 20][];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = fresh.Encode(cases[i % cases.Length].Text));

        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(cases[i % cases.Length].Ids, results[i]);
        }
    }

    [Fact]
    public void EncodeReturnsAnArrayTheCallerOwns()
    {
        long[] first = _tokenizer.Encode("hello world");
        first[1] = 12345;
        Assert.Equal(3306, _tokenizer.Encode("hello world")[1]);
    }

    [Fact]
    public void DecodeEndsAtEotAndKeepsExclamationMarksBeforeIt()
    {
        // Id 0 is both padding and "!" inside a word ("!</w>" is 256).
        Assert.Equal("!! ", _tokenizer.Decode([Sot, 0, 256, Eot, 0, 0]));
        Assert.Equal("wow !", _tokenizer.Decode([Sot, 2781, 0, Eot])); // truncation can end the text mid-word
        Assert.Equal("wow ", _tokenizer.Decode([2781, 0, 0, 0])); // without EOT, trailing zeros are padding
        Assert.Equal("hello world ", _tokenizer.Decode([Sot, 3306, 1002, Eot, 3306, 0]));
        Assert.Equal(string.Empty, _tokenizer.Decode([Sot, Eot, 0, 0]));
    }

    [Fact]
    public void DecodeRejectsIdsOutsideTheVocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([Sot, 49408, Eot]));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([Sot, -1, Eot]));
    }

    [Fact]
    public void MissingFilesThrowFileNotFoundNamingThePath()
    {
        using var dir = new TempDirectory();
        string gz = Path.Combine(dir.Path, ClipTokenizer.OpenAiMergesFileName);
        string vocab = Path.Combine(dir.Path, "vocab.json");
        string merges = Path.Combine(dir.Path, "merges.txt");

        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromOpenAiMergesGz(gz));
        Assert.Equal(gz, e.FileName);
        Assert.Contains(gz, e.Message);

        File.WriteAllText(merges, "#version: 0.2\n");
        e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromHuggingFace(vocab, merges));
        Assert.Contains(vocab, e.Message);
        e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(dir.Path));
        Assert.Contains(vocab, e.Message);

        File.Delete(merges);
        e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromDirectory(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void MalformedFilesThrowInvalidDataSayingWhatIsWrong()
    {
        using var dir = new TempDirectory();
        string gz = Path.Combine(dir.Path, "merges.txt.gz");

        File.WriteAllText(gz, "not gzip");
        Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromOpenAiMergesGz(gz)).Message);

        WriteGz(gz, "#version\na b\n");
        Assert.Contains("expected at least 48894 merge lines", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromOpenAiMergesGz(gz)).Message);

        string[] lines = ReadGz(Files.OpenAiMerges).Split('\n');
        lines[10] = "one two three";
        WriteGz(gz, string.Join('\n', lines));
        Assert.Contains("line 11", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromOpenAiMergesGz(gz)).Message);

        (string vocab, string merges) = dir.WriteHuggingFaceFiles();
        string goodVocab = File.ReadAllText(vocab);

        File.WriteAllText(vocab, "[1, 2]");
        Assert.Contains("JSON object", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);
        File.WriteAllText(vocab, "{\"a\": \"x\"}");
        Assert.Contains("'a'", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);
        File.WriteAllText(vocab, "{\"a\": 1,");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);
        File.WriteAllText(vocab, goodVocab.Replace("\"<|startoftext|>\"", "\"<|start|>\"", StringComparison.Ordinal));
        Assert.Contains("<|startoftext|>", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);

        File.WriteAllText(vocab, goodVocab);
        File.AppendAllText(merges, "zzzq qqqz\n");
        Assert.Contains("zzzq", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);
        File.WriteAllText(merges, "#version: 0.2\nab\n");
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromHuggingFace(vocab, merges)).Message);
    }

    [Fact]
    public void ContextLengthBelowTwoIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipTokenizer.FromOpenAiMergesGz(Files.OpenAiMerges, contextLength: 1));

    private static string ReadGz(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static void WriteGz(string path, string text)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("flowtok-clip-").FullName;

        /// <summary>
        /// vocab.json + merges.txt as Hugging Face ships them, derived from OpenAI's file independently of the
        /// tokenizer: bytes_to_unicode order, the same with "&lt;/w&gt;", the joined merges, the two special tokens.
        /// </summary>
        public (string Vocab, string Merges) WriteHuggingFaceFiles()
        {
            string[] merges = ReadGz(Files.OpenAiMerges).Split('\n')[1..(49152 - 256 - 2 + 1)];
            static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            int next = 256;
            string[] bytes = Enumerable.Range(0, 256).Where(Printable).Select(b => ((char)b).ToString())
                .Concat(Enumerable.Range(0, 256).Where(b => !Printable(b)).Select(_ => ((char)next++).ToString()))
                .ToArray();
            string[] tokens = [.. bytes, .. bytes.Select(b => b + "</w>"), .. merges.Select(m => m.Replace(" ", "")), "<|startoftext|>", "<|endoftext|>"];
            // Written in another key order than the ids, as the loader must not depend on it.
            var vocab = tokens.Select((t, id) => (t, id)).OrderBy(p => p.t, StringComparer.Ordinal).ToDictionary(p => p.t, p => p.id);

            string vocabPath = System.IO.Path.Combine(Path, "vocab.json");
            string mergesPath = System.IO.Path.Combine(Path, "merges.txt");
            File.WriteAllText(vocabPath, JsonSerializer.Serialize(vocab, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            File.WriteAllText(mergesPath, "#version: 0.2\n" + string.Join('\n', merges) + "\n");
            return (vocabPath, mergesPath);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>The shared reference files: FLOWTOK_PARITY_DIR and FLOWTOK_CLIP_BPE, else next to the repository.</summary>
    private static class Files
    {
        public static string OpenAiMerges { get; } = ReferenceFixtures.ClipMerges;

        private static string ParityDirectory => ReferenceFixtures.Root;

        public sealed record Case(string Text, long[] Ids, string Decoded);

        public sealed record Fixture(int ContextLength, int Sot, int Eot, int VocabSize, Case[] Cases);

        public static Fixture LoadFixture()
        {
            string path = System.IO.Path.Combine(ParityDirectory, "clip_tokenizer_cases.json");
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = json.RootElement;
            Case[] cases = root.GetProperty("cases").EnumerateArray()
                .Select(c => new Case(
                    c.GetProperty("text").GetString()!,
                    c.GetProperty("ids").EnumerateArray().Select(id => id.GetInt64()).ToArray(),
                    c.GetProperty("decoded").GetString()!))
                .ToArray();
            return new Fixture(
                root.GetProperty("context_length").GetInt32(),
                root.GetProperty("sot").GetInt32(),
                root.GetProperty("eot").GetInt32(),
                root.GetProperty("vocab_size").GetInt32(),
                cases);
        }
    }
}
