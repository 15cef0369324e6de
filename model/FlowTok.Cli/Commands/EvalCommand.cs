using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Training.Evaluation;
using FlowTok.Model.Training.Shapes;
using TorchSharp;

namespace FlowTok.Cli.Commands;

/// <summary>
/// `flowtok eval`: evaluates a shapes-trained model on the test split (unseen attribute combinations) and writes a
/// Markdown report, the same figures as JSON, and a PNG grid of generated samples.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model directory (default: models/default)" };
        var count = new Option<int>("--count", "-n") { Description = "Test prompts and images to evaluate", DefaultValueFactory = _ => 200 };
        var output = new Option<string>("--output", "-o") { Description = "Folder for report.md, report.json and samples.png", DefaultValueFactory = _ => "eval" };
        var split = new Option<string>("--split") { Description = "test (unseen shape-colour pairs) or validation (seen pairs)", DefaultValueFactory = _ => "test" }
            .AcceptOnlyFromAmong("test", "validation");
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("eval", "Evaluate a shapes-trained model: text-to-image attributes and CLIP score, image-to-text accuracy, reconstruction PSNR")
        {
            model, count, output, split, threads,
        };
        command.SetAction(parse =>
        {
            var terminal = Terminal.From(parse);
            torch.set_num_threads(parse.GetValue(threads));
            var dir = ModelLocator.Resolve(parse.GetValue(model));
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var report = ShapesEvaluation.Run(dir, parse.GetValue(count), gridPng: Path.Combine(outDir, "samples.png"),
                log: new ConsoleUi.SyncProgress<string>(terminal.Note),
                split: parse.GetValue(split) == "validation" ? DatasetSplit.Validation : DatasetSplit.Test);
            File.WriteAllText(Path.Combine(outDir, "report.md"), report.ToMarkdown());
            File.WriteAllText(Path.Combine(outDir, "report.json"), report.ToJson());
            terminal.Out.Write(report.ToMarkdown());
            terminal.Note($"wrote {Path.Combine(outDir, "report.md")}, report.json and samples.png");
            return ExitCodes.Success;
        });
        return command;
    }
}
