using System.CommandLine;
using FlowTok.Cli.ConsoleUi;
using FlowTok.Model.Checkpoints;
using FlowTok.Model.Loading;

namespace FlowTok.Cli.Commands;

/// <summary>
/// `flowtok assemble &lt;dir&gt;`: makes a model directory from published files (FlowTok-XL.pth, FlowTiTok_512.bin, a CLIP
/// checkpoint, CLIP's BPE file). Configs are read off the checkpoints' shapes; weights are referenced, not copied.
/// </summary>
internal static class AssembleCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("dir") { Description = "The model directory to write" };
        var flowtok = new Option<string>("--flowtok") { Description = "FlowTok checkpoint: flow transformer + text VAE (e.g. FlowTok-XL.pth)", Required = true };
        var imageTokenizer = new Option<string>("--image-tokenizer") { Description = "FlowTiTok checkpoint (e.g. FlowTiTok_512.bin)", Required = true };
        var clip = new Option<string>("--clip") { Description = "CLIP checkpoint (OpenAI/open_clip or Hugging Face names; vision tower ignored)", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "bpe_simple_vocab_16e6.txt.gz, or a folder with vocab.json + merges.txt (copied)", Required = true };
        var clipHeads = new Option<int?>("--clip-heads") { Description = "CLIP attention heads (default width/64)" };
        var flowHeads = new Option<int?>("--flow-heads") { Description = "Flow transformer heads (default: the published size of that width)" };
        var vaeHeads = new Option<int?>("--text-vae-heads") { Description = "Text VAE heads (default 8)" };
        var steps = new Option<int>("--steps") { Description = "Default Euler steps", DefaultValueFactory = _ => 20 };
        var guidance = new Option<double>("--guidance") { Description = "Default guidance scale", DefaultValueFactory = _ => 2.0 };
        var name = new Option<string?>("--name") { Description = "Model name in model_index.json (default: the folder name)" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Do not load the result to check every weight matches" };

        var command = new Command("assemble", "Make a model directory from published checkpoint files")
        {
            output, flowtok, imageTokenizer, clip, tokenizer, clipHeads, flowHeads, vaeHeads, steps, guidance, name, noVerify,
        };
        command.SetAction(parse =>
        {
            var terminal = Terminal.From(parse);
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var flowInfo = StateDict.Inspect(parse.GetValue(flowtok)!);
            var imageInfo = StateDict.Inspect(parse.GetValue(imageTokenizer)!);
            var clipInfo = StateDict.Inspect(parse.GetValue(clip)!);

            var written = new ModelDirectoryBuilder(dir)
                .Tokenizer(parse.GetValue(tokenizer)!)
                .Component(ModelIndex.Roles.TextEncoder, ConfigInference.Clip(clipInfo, parse.GetValue(clipHeads)), clipInfo.Path)
                .Component(ModelIndex.Roles.TextVae, ConfigInference.TextVae(flowInfo, parse.GetValue(vaeHeads)), flowInfo.Path)
                .Component(ModelIndex.Roles.Flow, ConfigInference.Flow(flowInfo, parse.GetValue(flowHeads)), flowInfo.Path)
                .Component(ModelIndex.Roles.ImageTokenizer, ConfigInference.ImageTokenizer(imageInfo), imageInfo.Path)
                .Defaults(parse.GetValue(steps), parse.GetValue(guidance))
                .Write(parse.GetValue(name) ?? Path.GetFileName(dir));

            if (!parse.GetValue(noVerify))
                written.LoadTextToImage().Dispose(); // strict load: names every key that does not fit
            terminal.Out.WriteLine(dir);
            foreach (var role in ModelIndex.Roles.TextToImage.Where(r => r != ModelIndex.Roles.Tokenizer))
                terminal.Error.WriteLine($"  {role,-16} {File.ReadAllText(Path.Combine(written.ComponentFolder(role), ModelDirectory.ConfigFileName)).ReplaceLineEndings(" ").Replace("  ", "", StringComparison.Ordinal)}".TrimEnd());
            return ExitCodes.Success;
        });
        return command;
    }
}
