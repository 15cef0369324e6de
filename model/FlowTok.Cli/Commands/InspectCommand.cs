using System.CommandLine;
using System.Text.Json;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Checkpoints;
using Spectre.Console;

namespace FlowTok.Cli.Commands;

/// <summary>`flowtok inspect &lt;checkpoint&gt;`: what a checkpoint holds, read without loading its tensor data.</summary>
internal static class InspectCommand
{
    private const int DefaultListed = 40;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
    };

    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A safetensors file or a torch.save zip checkpoint (.pth, .bin, .pt, .ckpt)" };
        var nestedKey = new Option<string?>("--nested-key") { Description = "Which state dict of a checkpoint holding several (e.g. model, ema)" };
        var all = new Option<bool>("--all") { Description = $"List every tensor (default: the first {DefaultListed})" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output, always with every tensor" };

        var command = new Command("inspect", "Show a checkpoint's format, component, sizes, metadata and tensors") { checkpoint, nestedKey, all, json };
        command.SetAction(parse =>
        {
            var info = StateDict.Inspect(parse.GetValue(checkpoint)!, parse.GetValue(nestedKey));
            var terminal = Terminal.From(parse);
            if (parse.GetValue(json)) terminal.Out.WriteLine(ToJson(info));
            else WriteReport(terminal.OutConsole, info, parse.GetValue(all) ? int.MaxValue : DefaultListed);
            return ExitCodes.Success;
        });
        return command;
    }

    private static IEnumerable<(string DType, long Bytes)> BytesByDType(CheckpointInfo info) =>
        info.Tensors.GroupBy(t => t.DType)
            .Select(g => (Format.DType(g.Key), g.Sum(t => t.ByteCount)))
            .OrderByDescending(x => x.Item2);

    private static void WriteReport(IAnsiConsole console, CheckpointInfo info, int listed)
    {
        var summary = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(3)).AddColumn();
        void Row(string name, string value) => summary.AddRow(new Text(name), new Text(value));
        Row("file", Path.GetFullPath(info.Path));
        Row("format", Format.CheckpointFormatName(info.Format));
        Row("component", info.Component);
        Row("tensors", info.TensorCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("parameters", Format.Count(info.ParameterCount));
        Row("size", $"{Format.Bytes(info.TotalBytes)} ({string.Join(", ", BytesByDType(info).Select(x => $"{x.DType} {Format.Bytes(x.Bytes)}"))})");
        foreach (var (key, value) in info.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Row($"metadata {key}", ErrorReport.OneLine(value));
        console.Write(summary);
        console.WriteLine();

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("name").AddColumn("dtype").AddColumn(new TableColumn("shape").RightAligned());
        foreach (var tensor in info.Tensors.Take(listed))
            table.AddRow(new Text(tensor.Name), new Text(Format.DType(tensor.DType)), new Text(Format.Shape(tensor.Shape)));
        console.Write(table);
        if (info.TensorCount > listed)
            console.WriteLine($"... {info.TensorCount - listed} more tensors (--all lists every one)");
    }

    private static string ToJson(CheckpointInfo info) => JsonSerializer.Serialize(new
    {
        Path = Path.GetFullPath(info.Path),
        Format = JsonNamingPolicy.SnakeCaseLower.ConvertName(info.Format.ToString()),
        info.Component,
        info.TensorCount,
        info.ParameterCount,
        info.TotalBytes,
        BytesByDtype = BytesByDType(info).ToDictionary(x => x.DType, x => x.Bytes),
        info.Metadata,
        Tensors = info.Tensors.Select(t => new { t.Name, Dtype = Format.DType(t.DType), t.Shape }),
    }, Json);
}
