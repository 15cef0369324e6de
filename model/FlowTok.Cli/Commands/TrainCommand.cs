using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Cli.Commands;

/// <summary>
/// `flowtok train &lt;stage&gt;`: trains the project's small FlowTok on the procedural shapes dataset (vocab, clip,
/// tokenizer, t2i, i2t, or all), resuming from the work folder, and with --export writes the model directory.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var stage = new Argument<string>("stage") { Description = "vocab, clip, tokenizer, t2i, i2t or all" }
            .AcceptOnlyFromAmong([.. ShapesTraining.Stages, "all"]);
        var work = new Option<string>("--work") { Description = "Work folder: checkpoints and each stage's final weights (resumed if present)", DefaultValueFactory = _ => "train-work" };
        var export = new Option<string?>("--export") { Description = "After training, write the model directory here (e.g. models/default)" };
        var exportDtype = new Option<string>("--export-dtype") { Description = "dtype of the exported weights", DefaultValueFactory = _ => "fp32" }
            .AcceptOnlyFromAmong("fp32", "bf16");
        var smoke = new Option<bool>("--smoke") { Description = "A few steps per stage with tiny batches (checks the machinery, not a usable model)" };
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };

        var command = new Command("train", "Train the project's small FlowTok (both directions) on procedurally generated shape images")
        {
            stage, work, export, exportDtype, smoke, threads,
        };
        command.SetAction((parse, ct) =>
        {
            var terminal = Terminal.From(parse);
            torch.set_num_threads(parse.GetValue(threads));
            var recipe = parse.GetValue(smoke) ? ShapesRecipe.Smoke : ShapesRecipe.Default;
            var workDir = Path.GetFullPath(parse.GetValue(work)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            terminal.Note($"training '{parse.GetValue(stage)}' in {workDir}");
            terminal.Progress().Training(progress =>
                new ShapesTraining(workDir, recipe, progress, terminal.Note).Run(parse.GetValue(stage)!, ct));
            terminal.Note($"trained in {Format.Duration(clock.Elapsed)}");
            if (parse.GetValue(export) is { } target)
            {
                var dtype = parse.GetValue(exportDtype) == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
                var dir = new ShapesTraining(workDir, recipe, null, terminal.Note).Export(Path.GetFullPath(target), dtype);
                terminal.Out.WriteLine(dir.Root);
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
