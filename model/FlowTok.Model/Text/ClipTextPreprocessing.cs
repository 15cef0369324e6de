using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace FlowTok.Model.Text;

/// <summary>
/// OpenAI CLIP's text cleaning: <c>whitespace_clean(basic_clean(text)).lower()</c>, with Python's semantics.
/// </summary>
/// <remarks>
/// Limitation: <c>basic_clean</c> starts with <c>ftfy.fix_text</c> (mojibake repair, NFC, curly quotes, ligatures,
/// full-width forms), which has no .NET port and is not applied. Text that ftfy would change can therefore
/// tokenize differently from the reference; clean, NFC text is unaffected.
/// </remarks>
internal sealed class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    public override string Normalize(string original) =>
        PythonLower(CollapseWhitespace(PythonHtml.Unescape(PythonHtml.Unescape(original))));

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    /// <summary>Python's <c>str.isspace</c>: <see cref="char.IsWhiteSpace(char)"/> plus the separators U+001C..U+001F.</summary>
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary><c>re.sub(r'\s+', ' ', text).strip()</c>.</summary>
    private static string CollapseWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (char c in text)
        {
            if (IsPythonSpace(c))
            {
                pendingSpace = result.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                result.Append(' ');
                pendingSpace = false;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    /// <summary>
    /// Python's <c>str.lower</c>: the simple mapping plus its two full-mapping rules, U+0130 -> "i\u0307" and a
    /// capital sigma that ends a word -> final sigma.
    /// </summary>
    private static string PythonLower(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int length) != System.Buffers.OperationStatus.Done)
            {
                result.Append(text[i]); // lone surrogate: left as is
                i += length;
                continue;
            }

            switch (rune.Value)
            {
                case 0x0130:
                    result.Append("i\u0307");
                    break;
                case 0x03A3:
                    result.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
                    break;
                default:
                    result.Append(Rune.ToLowerInvariant(rune).ToString());
                    break;
            }

            i += length;
        }

        return result.ToString();
    }

    // Unicode's Final_Sigma context: cased (case-ignorable)* SIGMA, not followed by (case-ignorable)* cased.
    private static bool IsFinalSigma(string text, int sigma)
    {
        int i = sigma;
        Rune before = default;
        bool found = false;
        while (i > 0 && Rune.DecodeLastFromUtf16(text.AsSpan(0, i), out Rune r, out int n) == System.Buffers.OperationStatus.Done)
        {
            i -= n;
            if (!IsCaseIgnorable(r))
            {
                before = r;
                found = true;
                break;
            }
        }

        if (!found || !IsCased(before))
        {
            return false;
        }

        for (i = sigma + 1; i < text.Length && Rune.DecodeFromUtf16(text.AsSpan(i), out Rune r, out int n) == System.Buffers.OperationStatus.Done; i += n)
        {
            if (!IsCaseIgnorable(r))
            {
                return !IsCased(r);
            }
        }

        return true;
    }

    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || Rune.ToUpperInvariant(r) != r || Rune.ToLowerInvariant(r) != r
        // Other_Lowercase / Other_Uppercase without a case mapping: ª º and the squared, circled and negative Latin capitals.
        || r.Value is 0x00AA or 0x00BA or >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;

    private static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        // Word_Break MidLetter, MidNumLet and Single_Quote.
        || r.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}

/// <summary>
/// CLIP's pre-tokenization regex, evaluated on code points:
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive). Whitespace separates pieces and is dropped.
/// </summary>
/// <remarks>
/// Not a <see cref="RegexPreTokenizer"/>: .NET's regex classifies UTF-16 code units, so a letter or digit outside the
/// BMP (CJK extension B, mathematical digits) would fall into the punctuation class, unlike Python's <c>regex</c>.
/// </remarks>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    private static readonly string[] SpecialTokens = ["<|startoftext|>", "<|endoftext|>"];

    public static ClipPreTokenizer Instance { get; } = new();

    private enum CharClass { Space, Letter, Number, Other, Ignored }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    private static List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int Offset, int Length)>();
        int i = 0;
        while (i < text.Length)
        {
            int length = SpecialTokenLength(text[i..]);
            if (length == 0 && text[i] == '\'')
            {
                length = ContractionLength(text[(i + 1)..]);
            }

            if (length > 0)
            {
                pieces.Add((i, length));
                i += length;
                continue;
            }

            CharClass kind = Classify(text[i..], out length);
            if (kind is CharClass.Letter or CharClass.Other)
            {
                // Greedy run of the same class; a special token or contraction inside a run is not split out.
                int end = i + length;
                while (end < text.Length && Classify(text[end..], out int next) == kind)
                {
                    end += next;
                }

                length = end - i;
            }

            if (kind is CharClass.Letter or CharClass.Number or CharClass.Other)
            {
                pieces.Add((i, length));
            }

            i += length;
        }

        return pieces;
    }

    private static CharClass Classify(ReadOnlySpan<char> text, out int length)
    {
        if (Rune.DecodeFromUtf16(text, out Rune rune, out length) != System.Buffers.OperationStatus.Done)
        {
            return CharClass.Other; // lone surrogate
        }

        // The regex's \s (unlike re's, used by the whitespace cleaning) leaves out U+001C..U+001F.
        if (rune.IsBmp && char.IsWhiteSpace((char)rune.Value))
        {
            return CharClass.Space;
        }

        // U+0345 case-folds to a letter, so under IGNORECASE Python's regex puts it in no class and drops it.
        if (rune.Value == 0x0345)
        {
            return CharClass.Ignored;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    private static int SpecialTokenLength(ReadOnlySpan<char> text)
    {
        foreach (string token in SpecialTokens)
        {
            if (StartsWithIgnoreCase(text, token))
            {
                return token.Length;
            }
        }

        return 0;
    }

    // 's 't 're 've 'm 'll 'd, in the regex's order: the contraction's length with its apostrophe, or 0.
    private static int ContractionLength(ReadOnlySpan<char> afterApostrophe)
    {
        foreach (string suffix in (ReadOnlySpan<string>)["s", "t", "re", "ve", "m", "ll", "d"])
        {
            if (StartsWithIgnoreCase(afterApostrophe, suffix))
            {
                return 1 + suffix.Length;
            }
        }

        return 0;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<char> text, string lowerAscii)
    {
        if (text.Length < lowerAscii.Length)
        {
            return false;
        }

        for (int i = 0; i < lowerAscii.Length; i++)
        {
            char p = lowerAscii[i];
            char c = text[i];
            // Python's regex folds case simply: 's' also matches U+017F (long s), 'k' the Kelvin sign.
            bool same = c == p || (char.IsAsciiLetterLower(p) && (c == char.ToUpperInvariant(p)
                || (p == 's' && c == '\u017F') || (p == 'k' && c == '\u212A')));
            if (!same)
            {
                return false;
            }
        }

        return true;
    }
}
