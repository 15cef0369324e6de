using System.Globalization;
using System.Text;
using FlowTok.Model.Checkpoints;
using static TorchSharp.torch;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>How numbers, sizes, dtypes and prompts are written in CLI output and file names.</summary>
internal static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Duration(TimeSpan t) =>
        t.TotalSeconds < 60 ? $"{t.TotalSeconds.ToString("F1", Invariant)} s"
        : t.TotalHours < 1 ? $"{(int)t.TotalMinutes}:{t.Seconds:D2}"
        : $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}";

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value.ToString("F1", Invariant)} {units[unit]}";
    }

    /// <summary>"86,017,536 (86.0M)".</summary>
    public static string Count(long n)
    {
        var exact = n.ToString("N0", Invariant);
        return n switch
        {
            >= 1_000_000_000 => $"{exact} ({(n / 1e9).ToString("F2", Invariant)}B)",
            >= 1_000_000 => $"{exact} ({(n / 1e6).ToString("F1", Invariant)}M)",
            >= 1_000 => $"{exact} ({(n / 1e3).ToString("F1", Invariant)}K)",
            _ => exact,
        };
    }

    /// <summary>PyTorch's dtype names (float32, bfloat16, int64, ...).</summary>
    public static string DType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    public static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    public static string CheckpointFormatName(CheckpointFormat format) => format switch
    {
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.TorchZipPickle => "PyTorch zip pickle (torch.save)",
        CheckpointFormat.LegacyTorchPickle => "PyTorch legacy pickle",
        _ => "unknown",
    };

    /// <summary>A file-name-safe version of a prompt: lower-case ASCII letters and digits joined by '-', at most
    /// <paramref name="maxLength"/> characters, cut at a word boundary.</summary>
    public static string Slug(string text, int maxLength = 60)
    {
        var slug = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') slug.Append(c);
            else if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue; // é -> e
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
        }
        var result = slug.ToString().Trim('-');
        if (result.Length > maxLength)
        {
            var cut = result.LastIndexOf('-', maxLength);
            result = result[..(cut > maxLength / 2 ? cut : maxLength)].TrimEnd('-');
        }
        return result.Length == 0 ? "image" : result;
    }
}
