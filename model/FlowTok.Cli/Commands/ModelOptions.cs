using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Cli.Commands;

/// <summary>Options shared by the commands that run a model: which model, sampling settings, dtype, threads.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = $"Model directory (default: ${ModelLocator.EnvironmentVariable}, else models/default above the app or the current directory)",
        HelpName = "dir",
    };

    public Option<int?> Steps { get; } = new("--steps")
    {
        Description = "Euler steps (default: the model's, from model_index.json)",
    };

    public Option<double?> Guidance { get; } = new("--guidance")
    {
        Description = "Classifier-free guidance scale (default: the model's, from model_index.json)",
    };

    public Option<string> DType { get; } = new Option<string>("--dtype")
    {
        Description = "Compute dtype: auto = bf16 on CPUs with native bf16 (AVX512-BF16 or AMX, about 2.9x faster), fp32 elsewhere",
        DefaultValueFactory = _ => ComputePrecision.Auto,
    }.AcceptOnlyFromAmong(ComputePrecision.Names);

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Intra-op CPU threads (default: one per logical processor)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public ModelOptions()
    {
        OptionRules.InRange(Steps, 1, GenerationOptions.MaxSteps);
        OptionRules.InRange(Guidance, 0, GenerationOptions.MaxGuidance);
        OptionRules.InRange(Threads, 1, 4096);
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Steps, Guidance, DType, Threads })
            command.Options.Add(option);
    }

    /// <summary>Applies <c>--threads</c> and opens the model directory (nothing is loaded yet).</summary>
    public ModelDirectory Open(ParseResult parse)
    {
        torch.set_num_threads(parse.GetValue(Threads));
        return ModelDirectory.Open(ModelLocator.Resolve(parse.GetValue(Model)));
    }

    /// <summary>Sampling settings: the options given, else the model's defaults; checked before anything is loaded.</summary>
    public GenerationOptions Sampling(ParseResult parse, ModelIndex index, bool batchedGuidance = true)
    {
        var options = index.Defaults.ToOptions() with
        {
            Steps = parse.GetValue(Steps) ?? index.Defaults.Steps,
            GuidanceScale = parse.GetValue(Guidance) ?? index.Defaults.GuidanceScale,
            BatchedGuidance = batchedGuidance,
        };
        options.Validate();
        return options;
    }

    /// <summary>The compute dtype on the CPU (<c>auto</c> resolved), noted on the terminal with the reason.</summary>
    public ScalarType ComputeType(ParseResult parse, Terminal terminal)
    {
        var name = parse.GetValue(DType);
        terminal.Note($"precision {ComputePrecision.Describe(name, torch.CPU)}");
        return ComputePrecision.Resolve(name, torch.CPU);
    }
}

/// <summary>Number options checked at parse time, before a model is loaded, with messages that name the option.</summary>
internal static class OptionRules
{
    public static void InRange<T>(Option<T> option, T min, T max) where T : struct, INumber<T> =>
        option.CustomParser = result => Parse(result, option.Name, min, max);

    public static void InRange<T>(Option<T?> option, T min, T max) where T : struct, INumber<T> =>
        option.CustomParser = result => Parse(result, option.Name, min, max);

    private static T Parse<T>(ArgumentResult result, string name, T min, T max) where T : struct, INumber<T>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var kind = typeof(T) == typeof(double) || typeof(T) == typeof(float) ? "a number" : "an integer";
        if (!T.TryParse(text, CultureInfo.InvariantCulture, out var value) || T.IsNaN(value) || value < min || value > max)
        {
            result.AddError($"{name} must be {kind} between {min} and {max}, not '{text}'");
            return default;
        }
        return value;
    }
}
