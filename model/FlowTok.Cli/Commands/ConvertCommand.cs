using FlowTok.Model.Nn;
using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Checkpoints;

namespace FlowTok.Cli.Commands;

/// <summary>`flowtok convert &lt;input&gt; &lt;output.safetensors&gt;`: any supported checkpoint to safetensors, optionally
/// casting floating-point tensors (integer tensors keep their dtype).</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A torch.save zip checkpoint (.pth, .bin, ...) or a safetensors file" };
        var output = new Argument<string>("output") { Description = "The safetensors file to write (replaced if it exists)" };
        output.Validators.Add(result =>
        {
            if (!string.Equals(Path.GetExtension(result.GetValueOrDefault<string>()), ".safetensors", StringComparison.OrdinalIgnoreCase))
                result.AddError("the output file name must end in .safetensors");
        });
        var dtype = new Option<string?>("--dtype") { Description = "Cast floating-point tensors (default: keep their dtype)" }
            .AcceptOnlyFromAmong("fp32", "bf16", "fp16");
        var nestedKey = new Option<string?>("--nested-key") { Description = "Which state dict of a checkpoint holding several (e.g. model, ema)" };

        var command = new Command("convert", "Rewrite a checkpoint as safetensors") { input, output, dtype, nestedKey };
        command.SetAction(parse => Run(Terminal.From(parse), parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(dtype), parse.GetValue(nestedKey)));
        return command;
    }

    private static int Run(Terminal terminal, string input, string output, string? dtype, string? nestedKey)
    {
        if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            throw new CliException($"the output is the input file ({input}); write to another path");
        var source = StateDict.Inspect(input, nestedKey);
        var written = StateDict.Convert(input, output, dtype is null ? null : ComputePrecision.Parse(dtype), nestedKey);
        terminal.Out.WriteLine($"{Path.GetFullPath(output)}: {written.TensorCount} tensors, {Format.Count(written.ParameterCount)} parameters, {Format.Bytes(written.TotalBytes)} ({Describe(written)})");
        terminal.Out.WriteLine($"  from {Path.GetFullPath(input)}: {Format.CheckpointFormatName(source.Format)}, {Format.Bytes(source.TotalBytes)} ({Describe(source)}), component {source.Component}");
        return ExitCodes.Success;
    }

    private static string Describe(CheckpointInfo info) =>
        string.Join(", ", info.Tensors.GroupBy(t => t.DType).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {Format.DType(g.Key)}"));
}
