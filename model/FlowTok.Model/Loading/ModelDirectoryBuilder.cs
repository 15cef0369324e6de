using FlowTok.Model.Nn;
using FlowTok.Model.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Loading;

/// <summary>
/// Writes a model directory: a folder per component with its <c>config.json</c>, and weights either referenced
/// where they already are (published checkpoints, no copy) or saved from a module as <c>model.safetensors</c>.
/// </summary>
public sealed class ModelDirectoryBuilder(string root)
{
    private readonly Dictionary<string, ComponentEntry> components = new();
    private ModelIndex.DefaultSettings defaults = new();
    private readonly string root = Path.GetFullPath(root);

    /// <summary>Copies CLIP's BPE files into <c>tokenizer/</c>: OpenAI's merges .gz, or a folder with vocab.json + merges.txt.</summary>
    public ModelDirectoryBuilder Tokenizer(string source)
    {
        var folder = Path.Combine(root, ModelIndex.Roles.Tokenizer);
        Directory.CreateDirectory(folder);
        if (File.Exists(source))
            File.Copy(source, Path.Combine(folder, Path.GetFileName(source)), overwrite: true);
        else if (Directory.Exists(source))
        {
            foreach (var name in new[] { ClipTokenizer.HuggingFaceVocabFileName, ClipTokenizer.HuggingFaceMergesFileName, ClipTokenizer.OpenAiMergesFileName })
                if (File.Exists(Path.Combine(source, name)))
                    File.Copy(Path.Combine(source, name), Path.Combine(folder, name), overwrite: true);
        }
        else
            throw new FileNotFoundException($"tokenizer files not found: {source}", source);
        components[ModelIndex.Roles.Tokenizer] = new ComponentEntry { Path = ModelIndex.Roles.Tokenizer };
        return this;
    }

    /// <summary>A component whose weights stay where they are (stored as a path relative to the component folder).</summary>
    public ModelDirectoryBuilder Component<TConfig>(string role, TConfig config, string weightsFile)
    {
        var full = Path.GetFullPath(weightsFile);
        if (!File.Exists(full)) throw new FileNotFoundException($"weights of '{role}' not found: {full}", full);
        var folder = Path.Combine(root, role);
        ComponentConfig.Save(config, Path.Combine(folder, ModelDirectory.ConfigFileName));
        components[role] = new ComponentEntry { Path = role, Weights = Path.GetRelativePath(folder, full) };
        return this;
    }

    /// <summary>A component saved from a module (e.g. after training) as <c>model.safetensors</c>.</summary>
    public ModelDirectoryBuilder Component<TConfig>(string role, TConfig config, nn.Module module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ModelDirectory.SaveComponent(Path.Combine(root, role), config, module, metadata);
        components[role] = new ComponentEntry { Path = role };
        return this;
    }

    public ModelDirectoryBuilder Defaults(int steps, double guidanceScale, double textNoise = 1.0)
    {
        defaults = new ModelIndex.DefaultSettings { Steps = steps, GuidanceScale = guidanceScale, TextNoise = textNoise };
        return this;
    }

    public ModelDirectory Write(string name)
    {
        foreach (var role in new[] { ModelIndex.Roles.Tokenizer })
            if (!components.ContainsKey(role))
                throw new InvalidOperationException($"a model directory needs a '{role}' component");
        ComponentConfig.Save(new ModelIndex { Name = name, Components = components, Defaults = defaults }, Path.Combine(root, ModelIndex.FileName));
        return ModelDirectory.Open(root);
    }
}
