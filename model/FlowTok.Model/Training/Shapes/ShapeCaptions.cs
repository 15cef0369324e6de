namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// The caption grammar: "a {size} {colour} {shape} at the {corner} | in the center on a {colour} background", e.g.
/// "a small red circle at the top left on a blue background". Parsing reads each attribute from its own slot, so a
/// caption with one wrong or unknown word still yields the other four.
/// </summary>
public static class ShapeCaptions
{
    private static readonly string[] shapeWords = ["circle", "square", "triangle", "star", "cross"];
    private static readonly string[] colorWords = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"];
    private static readonly string[] sizeWords = ["small", "large"];
    private static readonly string[] positionPhrases = ["at the top left", "at the top right", "at the bottom left", "at the bottom right", "in the center"];

    public static string Word(Shape shape) => shapeWords[(int)shape];
    public static string Word(PaletteColor color) => colorWords[(int)color];
    public static string Word(ShapeSize size) => sizeWords[(int)size];
    public static string Phrase(ShapePosition position) => positionPhrases[(int)position];

    /// <summary>Every word the grammar can produce, in a fixed order (what a word-level tokenizer's vocabulary needs).</summary>
    public static IReadOnlyList<string> Vocabulary { get; } =
        new[] { "a", "on", "background" }
            .Concat(sizeWords).Concat(colorWords).Concat(shapeWords)
            .Concat(positionPhrases.SelectMany(p => p.Split(' ')))
            .Distinct().ToArray();

    /// <summary>The longest caption the grammar produces, in words ("a large red triangle at the bottom right on a blue background").</summary>
    public const int MaxWords = 12;

    public static string Caption(ShapeScene scene) =>
        $"a {Word(scene.Size)} {Word(scene.Color)} {Word(scene.Shape)} {Phrase(scene.Position)} on a {Word(scene.Background)} background";

    /// <summary>The scene a caption describes (variation 0), or null unless all five attributes can be read.</summary>
    public static ShapeScene? ParseCaption(string caption) => Parse(caption).ToScene();

    /// <summary>
    /// Reads each attribute from its slot: size, colour and shape from the words before the position phrase; the position
    /// from "top|bottom" + "left|right" or "center"; the background from the colour word before "background".
    /// A word repeated at once ("on a white background background", a small text decoder's stutter) is read once.
    /// Anything unreadable stays null.
    /// </summary>
    public static SceneAttributes Parse(string caption)
    {
        var raw = Words(caption);
        var words = raw.Where((w, i) => i == 0 || raw[i - 1] != w).ToArray();
        if (words.Length == 0) return SceneAttributes.None;

        // The object phrase ends where the position phrase (or, failing that, the background phrase) begins.
        int objectEnd = Array.FindIndex(words, w => w is "at" or "in" or "top" or "bottom" or "center" or "centre" or "middle"
            or "left" or "right" or "on" or "background");
        if (objectEnd < 0) objectEnd = words.Length;
        int backgroundAt = Array.LastIndexOf(words, "background");
        int onAt = Array.LastIndexOf(words, "on");
        int positionEnd = onAt > objectEnd ? onAt : backgroundAt > objectEnd ? backgroundAt - 1 : words.Length;

        var objectWords = words[..objectEnd];
        var positionWords = words[objectEnd..Math.Max(objectEnd, positionEnd)];
        return new SceneAttributes(
            Shape: First<Shape>(objectWords, shapeWords),
            Color: First<PaletteColor>(objectWords, colorWords),
            Size: First<ShapeSize>(objectWords, sizeWords),
            Position: ReadPosition(positionWords),
            Background: backgroundAt > 0 ? First<PaletteColor>([words[backgroundAt - 1]], colorWords) : null);
    }

    private static ShapePosition? ReadPosition(string[] words)
    {
        bool top = words.Contains("top"), bottom = words.Contains("bottom");
        bool left = words.Contains("left"), right = words.Contains("right");
        bool center = words.Contains("center") || words.Contains("centre") || words.Contains("middle");
        return (top, bottom, left, right, center) switch
        {
            (true, false, true, false, false) => ShapePosition.TopLeft,
            (true, false, false, true, false) => ShapePosition.TopRight,
            (false, true, true, false, false) => ShapePosition.BottomLeft,
            (false, true, false, true, false) => ShapePosition.BottomRight,
            (false, false, false, false, true) => ShapePosition.Center,
            _ => null,
        };
    }

    private static T? First<T>(string[] words, string[] table) where T : struct, Enum
    {
        foreach (var word in words)
        {
            int index = Array.IndexOf(table, word);
            if (index >= 0) return (T)Enum.ToObject(typeof(T), index);
        }
        return null;
    }

    /// <summary>Lower-case words, punctuation dropped (decoders may emit "Background." or extra spaces).</summary>
    private static string[] Words(string text) =>
        new string(text.ToLowerInvariant().Select(c => char.IsLetter(c) ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
