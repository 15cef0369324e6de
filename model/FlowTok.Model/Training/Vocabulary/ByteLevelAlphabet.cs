using System.Text;

namespace FlowTok.Model.Training.Vocabulary;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>, in its order: printable bytes map to themselves, the rest to U+0100 on. CLIP's
/// vocabulary starts with these 256 characters, so BPE symbols are strings of them and every byte has a token.
/// </summary>
/// <remarks>The table <see cref="Text.ClipTokenizer"/> decodes with; repeated here because that one is private.</remarks>
internal static class ByteLevelAlphabet
{
    private static readonly (byte Byte, char Char)[] Pairs = Build();
    private static readonly char[] CharByByte = Pairs.OrderBy(p => p.Byte).Select(p => p.Char).ToArray();

    /// <summary>The 256 characters in vocabulary order.</summary>
    public static IReadOnlyList<char> Characters { get; } = Pairs.Select(p => p.Char).ToArray();

    /// <summary>A word's UTF-8 bytes as byte-level characters, one symbol per byte.</summary>
    public static List<string> Symbols(string word) =>
        Encoding.UTF8.GetBytes(word).Select(b => CharByByte[b].ToString()).ToList();

    private static (byte, char)[] Build()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var pairs = Enumerable.Range(0, 256).Where(Printable).Select(b => ((byte)b, (char)b)).ToList();
        int next = 256;
        pairs.AddRange(Enumerable.Range(0, 256).Where(b => !Printable(b)).Select(b => ((byte)b, (char)next++)));
        return [.. pairs];
    }
}
