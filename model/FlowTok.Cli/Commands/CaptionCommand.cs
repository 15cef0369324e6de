using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Cli.Commands;

/// <summary>`flowtok caption &lt;image...&gt;`: image-to-text. Prints <c>&lt;path&gt;\t&lt;caption&gt;</c> per image.</summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("image")
        {
            Description = "Image files (PNG, JPEG, WebP, ...); each is resized and centre-cropped to the model's size",
            Arity = ArgumentArity.OneOrMore,
        };
        var model = new ModelOptions();
        var batchSize = new Option<int>("--batch-size") { Description = "Images captioned together", DefaultValueFactory = _ => 4 };
        OptionRules.InRange(batchSize, 1, 1024);

        var command = new Command("caption", "Describe images in words (needs a model with image-to-text components)") { images, batchSize };
        model.AddTo(command);
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, parse.GetValue(images)!, parse.GetValue(batchSize), model, ct)));
        return command;
    }

    private static int Run(ParseResult parse, string[] paths, int batchSize, ModelOptions modelOptions, CancellationToken ct)
    {
        var terminal = Terminal.From(parse);
        var directory = modelOptions.Open(parse);
        if (!directory.Index.HasImageToText)
            throw new CliException($"{directory.Root} has no image-to-text components ('{ModelIndex.Roles.ImageToTextFlow}' and '{ModelIndex.Roles.TextDecoder}' in {ModelIndex.FileName}), so it cannot caption");
        var options = modelOptions.Sampling(parse, directory.Index);

        // Read every image before loading weights: a bad file fails in a second, not after the model has loaded.
        using var scope = torch.NewDisposeScope();
        int size = directory.Config<ImageTokenizerConfig>(ModelIndex.Roles.ImageTokenizer).ImageSize;
        var tensors = paths.Select(path => LoadImage(path, size)).ToArray();

        var progress = terminal.Progress();
        using var pipeline = progress.Loading(ModelIndex.Roles.ImageToText,
            sink => directory.LoadImageToText(modelOptions.ComputeType(parse, terminal), progress: sink));

        var batches = Enumerable.Range(0, paths.Length).Chunk(batchSize).ToArray();
        var lines = new List<string>();
        progress.Sampling("captioning", batches.Length, options.Steps, (b, sink) =>
        {
            ct.ThrowIfCancellationRequested();
            using var batchScope = torch.NewDisposeScope();
            var captions = pipeline.Caption(torch.stack(batches[b].Select(i => tensors[i]).ToArray()), options, sink, ct);
            for (int i = 0; i < captions.Length; i++)
            {
                var line = $"{paths[batches[b][i]]}\t{ErrorReport.OneLine(captions[i].Replace('\t', ' '))}";
                if (terminal.Animated) lines.Add(line);
                else terminal.Out.WriteLine(line);
            }
        });
        foreach (var line in lines) terminal.Out.WriteLine(line);
        return ExitCodes.Success;
    }

    private static Tensor LoadImage(string path, int size)
    {
        try
        {
            return ImageIo.LoadFile(path, size);
        }
        catch (InvalidImageException e)
        {
            throw new InvalidImageException($"{path}: {e.Message}", e);
        }
    }
}
