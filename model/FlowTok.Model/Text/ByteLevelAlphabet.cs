using System.Text;

namespace FlowTok.Model.Text;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>, in its order: printable bytes map to themselves, the rest to U+0100 on. CLIP's
/// vocabulary starts with these 256 characters, so BPE symbols are strings of them and every byte has a token. The one
/// table the tokenizer (<see cref="ClipTokenizer"/>) and the vocabulary builder of the training recipe share.
/// </summary>
public static class ByteLevelAlphabet
{
    /// <summary>Byte and character pairs in vocabulary order.</summary>
    public static IReadOnlyList<(byte Byte, char Char)> Pairs { get; } = Build();

    private static readonly char[] CharByByte = Pairs.OrderBy(p => p.Byte).Select(p => p.Char).ToArray();
    private static readonly Dictionary<char, byte> ByteByChar = Pairs.ToDictionary(p => p.Char, p => p.Byte);

    /// <summary>The 256 characters in vocabulary order.</summary>
    public static IReadOnlyList<char> Characters { get; } = Pairs.Select(p => p.Char).ToArray();

    /// <summary>A word's UTF-8 bytes as byte-level characters, one symbol per byte.</summary>
    public static List<string> Symbols(string word) =>
        Encoding.UTF8.GetBytes(word).Select(b => CharByByte[b].ToString()).ToList();

    /// <summary>The byte a byte-level character stands for; false for any other character.</summary>
    public static bool TryGetByte(char c, out byte b) => ByteByChar.TryGetValue(c, out b);

    private static (byte, char)[] Build()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var pairs = Enumerable.Range(0, 256).Where(Printable).Select(b => ((byte)b, (char)b)).ToList();
        int next = 256;
        pairs.AddRange(Enumerable.Range(0, 256).Where(b => !Printable(b)).Select(b => ((byte)b, (char)next++)));
        return [.. pairs];
    }
}
