namespace FlowTok.Gateway.Requests;

/// <summary>OpenAI's image fields that the model has no knob for: each is mapped to one it has, or checked and kept.</summary>
public static partial class RequestValidation
{
    /// <summary>Sampler steps of each <c>quality</c>; "auto" (and no quality) is the platform's default. An explicit
    /// <c>steps</c> wins over the quality. "standard" and "hd" are DALL-E 3's names for medium and high.</summary>
    public static readonly IReadOnlyDictionary<string, int?> QualitySteps = new Dictionary<string, int?>
    {
        ["low"] = 10,
        ["medium"] = 20,
        ["high"] = 30,
        ["auto"] = null,
        ["standard"] = 20,
        ["hd"] = 30,
    };

    /// <summary>Longest <c>user</c> or <c>safety_identifier</c> kept with a job.</summary>
    public const int MaxEndUserIdLength = 256;

    private static int? StepsOf(string? quality, FieldErrors errors)
    {
        if (quality is null) return null;
        if (QualitySteps.TryGetValue(quality, out int? steps)) return steps;
        errors.Add("quality", "quality must be \"low\", \"medium\", \"high\" or \"auto\" (also \"standard\", \"hd\")");
        return null;
    }

    private static ImageOutput CheckOutput(string? format, int? compression, FieldErrors errors)
    {
        OutputFormat? parsed = format switch
        {
            null or "png" => OutputFormat.Png,
            "jpeg" => OutputFormat.Jpeg,
            "webp" => OutputFormat.Webp,
            _ => null,
        };
        if (parsed is null) errors.Add("output_format", "output_format must be \"png\", \"jpeg\" or \"webp\"");
        if (compression is { } c)
        {
            if (c is < 0 or > 100) errors.Add("output_compression", "output_compression must be between 0 and 100");
            else if (parsed == OutputFormat.Png) errors.Add("output_compression", "output_compression applies to \"jpeg\" and \"webp\" only (PNG is lossless)");
        }
        return new ImageOutput(parsed ?? OutputFormat.Png, compression ?? ImageOutput.DefaultCompression);
    }

    private static void CheckBackground(string? background, FieldErrors errors)
    {
        switch (background)
        {
            case null or "auto" or "opaque": break;
            case "transparent":
                errors.Add("background", "background \"transparent\" is not supported: the model draws opaque RGB images; use \"opaque\" or \"auto\"");
                break;
            default: errors.Add("background", "background must be \"opaque\" or \"auto\""); break;
        }
    }

    private static string? CheckEndUserId(string field, string? value, FieldErrors errors)
    {
        if (value is { Length: > MaxEndUserIdLength }) errors.Add(field, $"{field} has {value.Length} characters; at most {MaxEndUserIdLength} are accepted");
        return value;
    }
}
