using FlowTok.Model.Text;
using FlowTok.Model.Training.Vocabulary;

namespace FlowTok.Model.Tests.Training.Vocabulary;

public sealed class BpeVocabularyBuilderTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory temp = new();

    /// <summary>Captions of a small shapes grammar: 40 distinct words, every combination once.</summary>
    private static IReadOnlyList<string> Corpus { get; } = BuildCorpus();

    private static List<string> BuildCorpus()
    {
        string[] sizes = ["tiny", "small", "medium", "large", "huge"];
        string[] colours = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black", "gray", "pink", "cyan", "brown", "violet", "teal"];
        string[] shapes = ["circle", "square", "triangle", "star", "cross", "diamond", "heart", "hexagon", "pentagon", "ring"];
        string[] positions = ["top left", "top right", "bottom left", "bottom right", "center", "middle"];
        var captions = new List<string>();
        for (int i = 0; i < sizes.Length * shapes.Length * positions.Length; i++)
        {
            string size = sizes[i % sizes.Length], shape = shapes[i / sizes.Length % shapes.Length];
            string position = positions[i / (sizes.Length * shapes.Length)];
            string colour = colours[i % colours.Length], background = colours[(i / 3 + 5) % colours.Length];
            captions.Add($"a {size} {colour} {shape} at the {position} on a {background} background");
        }
        return captions;
    }

    private ClipTokenizer Tokenizer(BpeVocabulary vocabulary, string name = "tok") =>
        vocabulary.SaveAndLoadTokenizer(temp.File(name), contextLength: 32);

    [Fact]
    public void EveryCorpusCaptionRoundTrips()
    {
        var tokenizer = Tokenizer(BpeVocabularyBuilder.Build(Corpus));

        foreach (string caption in Corpus)
        {
            // ClipTokenizer.Decode turns every "</w>" into a space, so a decoded text ends with one.
            Assert.Equal(caption + " ", tokenizer.Decode(tokenizer.Encode(caption)));
        }
        // CLIP's cleaning (lower case, collapsed whitespace) applies before BPE.
        Assert.Equal("a huge red star at the center ", tokenizer.Decode(tokenizer.Encode("  A HUGE Red\tstar at  the CENTER ")));
    }

    [Fact]
    public void EveryCorpusWordIsOneToken()
    {
        var vocabulary = BpeVocabularyBuilder.Build(Corpus);
        var tokenizer = Tokenizer(vocabulary);

        Assert.Equal(40, vocabulary.Words.Count);
        foreach (string word in vocabulary.Words)
        {
            long[] ids = tokenizer.Encode(word);
            Assert.Equal([tokenizer.StartOfText, vocabulary.Tokens[word + ClipTokenizer.EndOfWordSuffix], tokenizer.EndOfText], ids.Take(3));
        }
        // A whole caption is SOT and then one id per word up to EOT.
        string caption = Corpus[7];
        Assert.Equal(1 + caption.Split(' ').Length, tokenizer.Encode(caption).TakeWhile(id => id != tokenizer.EndOfText).Count());
    }

    [Fact]
    public void VocabularyIsSmallAndLaidOutLikeOpenAis()
    {
        var vocabulary = BpeVocabularyBuilder.Build(Corpus);
        var tokenizer = Tokenizer(vocabulary);

        // 512 byte-level tokens + the merges + 2 special tokens; a word of n bytes needs at most n - 1 merges.
        int mergeBound = vocabulary.Words.Sum(w => w.Length - 1);
        Assert.Equal(512 + vocabulary.Merges.Count + 2, vocabulary.Count);
        Assert.True(vocabulary.Merges.Count <= mergeBound, $"{vocabulary.Merges.Count} merges for at most {mergeBound} needed");
        output.WriteLine($"{vocabulary.Words.Count} words, {vocabulary.Merges.Count} merges (bound {mergeBound}), {vocabulary.Count} tokens");
        Assert.True(vocabulary.Count < 700, $"vocabulary has {vocabulary.Count} tokens");

        Assert.Equal(vocabulary.Count, tokenizer.VocabSize);
        Assert.Equal(0, vocabulary.Tokens["!"]);
        Assert.Equal(256, vocabulary.Tokens["!</w>"]);
        Assert.Equal(vocabulary.Count - 2, tokenizer.StartOfText);
        Assert.Equal(vocabulary.Count - 1, tokenizer.EndOfText); // CLIP pools at the argmax id: EOT must be the largest
    }

    [Fact]
    public void UnknownWordsFallBackToBytesAndDecode()
    {
        var tokenizer = Tokenizer(BpeVocabularyBuilder.Build(Corpus));

        // CLIP's pre-tokenizer makes each digit a piece and a run of symbols (emoji, punctuation) one piece.
        Assert.Equal("a zebra crossing 4 2 ünïcödé 🦓! ", tokenizer.Decode(tokenizer.Encode("A zebra crossing 42 ünïcödé 🦓!")));
        long[] ids = tokenizer.Encode("zebra");
        Assert.True(ids.TakeWhile(id => id != tokenizer.EndOfText).Count() > 2, "an unseen word takes several tokens");
    }

    [Fact]
    public void WithoutMergesEverythingIsBytesAndStillRoundTrips()
    {
        var vocabulary = BpeVocabularyBuilder.Build(Corpus, maxMerges: 0);
        var tokenizer = vocabulary.SaveAndLoadTokenizer(temp.File("bytes")); // 77 ids: one per byte here

        Assert.Equal(514, vocabulary.Count);
        Assert.Equal(Corpus[0] + " ", tokenizer.Decode(tokenizer.Encode(Corpus[0])));
    }

    [Fact]
    public void SameCorpusInAnyOrderGivesTheSameFiles()
    {
        var forward = BpeVocabularyBuilder.Build(Corpus).Save(temp.File("a"));
        var backward = BpeVocabularyBuilder.Build(Corpus.Reverse()).Save(temp.File("b"));

        Assert.Equal(File.ReadAllBytes(forward.VocabJson), File.ReadAllBytes(backward.VocabJson));
        Assert.Equal(File.ReadAllBytes(forward.MergesTxt), File.ReadAllBytes(backward.MergesTxt));
        Assert.StartsWith(BpeVocabulary.MergesHeader + "\n", File.ReadAllText(forward.MergesTxt));
        // The files are what ClipTokenizer.FromDirectory looks for.
        Assert.Equal(ClipTokenizer.FromDirectory(temp.File("a"), 32).Encode(Corpus[3]), ClipTokenizer.FromDirectory(temp.File("b"), 32).Encode(Corpus[3]));
    }

    public void Dispose() => temp.Dispose();
}
