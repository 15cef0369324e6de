using System.CommandLine;
using System.Text.RegularExpressions;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using TorchSharp;

namespace FlowTok.Cli.Commands;

/// <summary>
/// `flowtok generate &lt;prompt...&gt;`: text-to-image. Writes <c>&lt;index&gt;-&lt;seed&gt;-&lt;slug&gt;.png</c> per image and
/// prints each path on stdout; image i of a prompt uses seed + i, so any one image can be regenerated alone.
/// </summary>
internal static partial class GenerateCommand
{
    /// <summary>Random default seeds stay below 2^32 so they are easy to read back and type.</summary>
    private const long RandomSeedLimit = 1L << 32;

    public static Command Create()
    {
        var prompts = new Argument<string[]>("prompt")
        {
            Description = "One or more prompts (quote each one)",
            Arity = ArgumentArity.OneOrMore,
        };
        var model = new ModelOptions();
        var seed = new Option<long?>("--seed") { Description = "Seed of the first image of each prompt (default: random, printed)" };
        var count = new Option<int>("--count", "-n") { Description = "Images per prompt", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images sampled together", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--output", "-o") { Description = "Output directory", DefaultValueFactory = _ => "outputs", HelpName = "dir" };
        var textNoise = new Option<double?>("--text-noise")
        {
            Description = "Scale of the text VAE's sampling noise: 1 varies the image with the seed, 0 draws one image per prompt (default: the model's, from model_index.json)",
        };
        var twoPass = new Option<bool>("--two-pass-guidance") { Description = "Run the conditional and null passes separately instead of as one 2B batch (like the reference; same images, slower)" };
        OptionRules.InRange(seed, 0, long.MaxValue - 100_000);
        OptionRules.InRange(count, 1, 10_000);
        OptionRules.InRange(batchSize, 1, 1024);
        OptionRules.InRange(textNoise, 0, GenerationOptions.MaxTextNoise);

        var command = new Command("generate", "Generate images from text prompts") { prompts, seed, count, batchSize, output, textNoise, twoPass };
        model.AddTo(command);
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, new Settings(
            parse.GetValue(prompts)!, parse.GetValue(seed), parse.GetValue(count), parse.GetValue(batchSize),
            parse.GetValue(output)!, !parse.GetValue(twoPass), parse.GetValue(textNoise)), model, ct)));
        return command;
    }

    private sealed record Settings(string[] Prompts, long? Seed, int Count, int BatchSize, string Output, bool BatchedGuidance, double? TextNoise);

    /// <summary>One image to make: which prompt, and the seed of its noise.</summary>
    private sealed record Job(int PromptIndex, string Prompt, long Seed);

    private static int Run(ParseResult parse, Settings settings, ModelOptions modelOptions, CancellationToken ct)
    {
        var terminal = Terminal.From(parse);
        var directory = modelOptions.Open(parse);
        var options = modelOptions.Sampling(parse, directory.Index, settings.BatchedGuidance);
        if (settings.TextNoise is { } textNoise) options = options with { TextNoise = textNoise };
        TextToImagePipeline.CheckInputs(settings.Prompts, options);
        long seed = settings.Seed ?? Random.Shared.NextInt64(RandomSeedLimit);
        Directory.CreateDirectory(settings.Output);

        var jobs = settings.Prompts
            .SelectMany((prompt, p) => Enumerable.Range(0, settings.Count).Select(i => new Job(p, prompt, seed + i)))
            .Chunk(settings.BatchSize)
            .ToArray();
        terminal.Note($"seed {seed}; {jobs.Sum(b => b.Length)} image(s), {options.Steps} steps, guidance {options.GuidanceScale}, text noise {options.TextNoise}, model {directory.Root}");

        var progress = terminal.Progress();
        using var pipeline = progress.Loading(ModelIndex.Roles.TextToImage,
            sink => directory.LoadTextToImage(modelOptions.ComputeType(parse, terminal), progress: sink));

        // Live bars own the terminal while they run, so paths are printed once they finish.
        var written = new List<string>();
        int index = NextFreeIndex(settings.Output);
        progress.Sampling("sampling", jobs.Length, options.Steps, (b, sink) =>
        {
            ct.ThrowIfCancellationRequested();
            var batch = jobs[b];
            using var scope = torch.NewDisposeScope();
            var images = pipeline.Generate(batch.Select(j => j.Prompt).ToArray(), batch.Select(j => j.Seed).ToArray(), options, sink, ct);
            var pngs = ImageIo.ToPngs(images);
            for (int i = 0; i < batch.Length; i++)
            {
                var path = Path.Combine(settings.Output, $"{index++:D5}-{batch[i].Seed}-{Format.Slug(batch[i].Prompt)}.png");
                File.WriteAllBytes(path, pngs[i]);
                if (terminal.Animated) written.Add(path);
                else terminal.Out.WriteLine(path);
            }
        });
        foreach (var path in written) terminal.Out.WriteLine(path);
        return ExitCodes.Success;
    }

    /// <summary>Numbers continue after the highest <c>&lt;index&gt;-</c> already in the folder, so runs never overwrite.</summary>
    private static int NextFreeIndex(string folder) =>
        Directory.EnumerateFiles(folder, "*.png")
            .Select(f => IndexPrefix().Match(Path.GetFileName(f)))
            .Where(m => m.Success && int.TryParse(m.Groups[1].Value, out _))
            .Select(m => int.Parse(m.Groups[1].Value) + 1)
            .DefaultIfEmpty(0)
            .Max();

    [GeneratedRegex(@"^(\d{1,9})-")]
    private static partial Regex IndexPrefix();
}
