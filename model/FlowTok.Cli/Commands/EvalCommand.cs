using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Training.Evaluation;
using FlowTok.Model.Training.Shapes;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
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
        var dtype = new Option<string>("--dtype") { Description = "Compute dtype: fp32 (default here, the reference figures), bf16 or auto", DefaultValueFactory = _ => "fp32" }
            .AcceptOnlyFromAmong(ComputePrecision.Names);
        var steps = new Option<int?>("--steps") { Description = "Sampling steps (default: the model's)" };
        var solver = new Option<string>("--solver") { Description = "euler (the paper's) or heun (second order, 2 evaluations per step)", DefaultValueFactory = _ => "euler" }
            .AcceptOnlyFromAmong("euler", "heun");
        var command = new Command("eval", "Evaluate a shapes-trained model: text-to-image attributes and CLIP score, image-to-text accuracy, reconstruction PSNR")
        {
            model, count, output, split, threads, dtype, steps, solver,
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
                split: parse.GetValue(split) == "validation" ? DatasetSplit.Validation : DatasetSplit.Test,
                computeType: ComputePrecision.Resolve(parse.GetValue(dtype), torch.CPU),
                sampling: o => o with
                {
                    Steps = parse.GetValue(steps) ?? o.Steps,
                    Solver = parse.GetValue(solver) == "heun" ? FlowSolver.Heun : FlowSolver.Euler,
                });
            File.WriteAllText(Path.Combine(outDir, "report.md"), report.ToMarkdown());
            File.WriteAllText(Path.Combine(outDir, "report.json"), report.ToJson());
            terminal.Out.Write(report.ToMarkdown());
            terminal.Note($"wrote {Path.Combine(outDir, "report.md")}, report.json and samples.png");
            return ExitCodes.Success;
        });
        return command;
    }
}
