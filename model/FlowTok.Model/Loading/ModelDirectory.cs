using FlowTok.Model.Checkpoints;
using FlowTok.Model.Clip;
using FlowTok.Model.Flow;
using FlowTok.Model.ImageTokenizer;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Text;
using FlowTok.Model.TextDecoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Loading;

/// <summary>Loading progress: component <see cref="Index"/> of <see cref="Count"/> (<see cref="Role"/>) is being read from <see cref="File"/>.</summary>
public readonly record struct LoadProgress(int Index, int Count, string Role, string File);

/// <summary>
/// A FlowTok model directory: <c>model_index.json</c> plus one folder per component with its <c>config.json</c> and
/// weights (safetensors or PyTorch pickle). Builds each module from its config, loads the weights strictly by name
/// (a mismatch names every key), and converts to the requested dtype and device.
/// </summary>
public sealed class ModelDirectory
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";
    private static readonly string[] CheckpointExtensions = [".safetensors", ".pth", ".bin", ".pt", ".ckpt"];

    public string Root { get; }
    public ModelIndex Index { get; }

    private ModelDirectory(string root, ModelIndex index)
    {
        Root = root;
        Index = index;
    }

    public static ModelDirectory Open(string root)
    {
        root = System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"model directory not found: {root}");
        var indexPath = System.IO.Path.Combine(root, ModelIndex.FileName);
        if (!System.IO.File.Exists(indexPath))
            throw new FileNotFoundException($"{root} is not a FlowTok model directory: it has no {ModelIndex.FileName}", indexPath);
        var index = ComponentConfig.Load<ModelIndex>(indexPath);
        if (index.Version > ModelIndex.CurrentVersion)
            throw new InvalidDataException($"{indexPath} has version {index.Version}; this build reads up to {ModelIndex.CurrentVersion}");
        try
        {
            index.Defaults.ToOptions().Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"{indexPath} has invalid sampling defaults: {e.Message}", e);
        }
        return new ModelDirectory(root, index);
    }

    public string ComponentFolder(string role) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, Entry(role).Path));

    public T Config<T>(string role) => ComponentConfig.Load<T>(System.IO.Path.Combine(ComponentFolder(role), ConfigFileName));

    /// <summary>The weights file of a component: named in the index, else the folder's only checkpoint.</summary>
    public string WeightsPath(string role)
    {
        var entry = Entry(role);
        var folder = ComponentFolder(role);
        if (entry.Weights is not null)
        {
            var named = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, entry.Weights));
            return System.IO.File.Exists(named) ? named : throw new FileNotFoundException($"weights of '{role}' not found: {named}", named);
        }
        var preferred = System.IO.Path.Combine(folder, WeightsFileName);
        if (System.IO.File.Exists(preferred)) return preferred;
        var candidates = Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => CheckpointExtensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant())).ToArray()
            : [];
        return candidates.Length switch
        {
            1 => candidates[0],
            0 => throw new FileNotFoundException($"no weights for '{role}' in {folder} (expected {WeightsFileName} or one .safetensors/.pth/.bin file)"),
            _ => throw new InvalidDataException($"several checkpoint files for '{role}' in {folder}: name one with \"weights\" in {ModelIndex.FileName}"),
        };
    }

    public TextToImagePipeline LoadTextToImage(ScalarType dtype = ScalarType.Float32, Device? device = null, IProgress<LoadProgress>? progress = null)
    {
        var loader = new Loader(this, ModelIndex.Roles.TextToImage.Length, progress);
        var tokenizer = loader.Tokenizer(Config<ClipTextConfig>(ModelIndex.Roles.TextEncoder).ContextLength);
        var clip = loader.TextEncoder(dtype, device);
        var vae = loader.TextVae(dtype, device);
        var flow = loader.Flow(ModelIndex.Roles.Flow, dtype, device);
        var image = loader.ImageTokenizer(dtype, device);
        return new TextToImagePipeline(tokenizer, clip, vae, flow, image);
    }

    public ImageToTextPipeline LoadImageToText(ScalarType dtype = ScalarType.Float32, Device? device = null, IProgress<LoadProgress>? progress = null)
    {
        if (!Index.HasImageToText)
            throw new InvalidOperationException($"{Root} has no image-to-text components ('{ModelIndex.Roles.ImageToTextFlow}' and '{ModelIndex.Roles.TextDecoder}' in {ModelIndex.FileName})");
        var loader = new Loader(this, ModelIndex.Roles.ImageToText.Length, progress);
        var tokenizer = loader.Tokenizer(Config<TextDecoderConfig>(ModelIndex.Roles.TextDecoder).Tokens);
        var image = loader.ImageTokenizer(dtype, device);
        var flow = loader.Flow(ModelIndex.Roles.ImageToTextFlow, dtype, device);
        var decoder = loader.TextDecoder(dtype, device);
        return new ImageToTextPipeline(tokenizer, image, flow, decoder);
    }

    /// <summary>Writes a component: its config as <c>config.json</c> and its state dict as <c>model.safetensors</c>.</summary>
    public static void SaveComponent<TConfig>(string folder, TConfig config, nn.Module module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        ComponentConfig.Save(config, System.IO.Path.Combine(folder, ConfigFileName));
        var tensors = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        StateDict.WriteSafetensors(System.IO.Path.Combine(folder, WeightsFileName), tensors, metadata);
    }

    private ComponentEntry Entry(string role) =>
        Index.Components.TryGetValue(role, out var entry)
            ? entry
            : throw new InvalidDataException($"{System.IO.Path.Combine(Root, ModelIndex.FileName)} names no '{role}' component");

    /// <summary>Loads components in order, reading a weights file shared by two components only once.</summary>
    private sealed class Loader(ModelDirectory dir, int count, IProgress<LoadProgress>? progress)
    {
        private readonly Dictionary<string, Dictionary<string, Tensor>> files = new();
        private int loaded;

        /// <summary>The tokenizer frames ids to the text side's context length (77 for CLIP, fewer for small models).</summary>
        public ClipTokenizer Tokenizer(int contextLength)
        {
            var folder = dir.ComponentFolder(ModelIndex.Roles.Tokenizer);
            Report(ModelIndex.Roles.Tokenizer, folder);
            return ClipTokenizer.FromDirectory(folder, contextLength);
        }

        public ClipTextTransformer TextEncoder(ScalarType dtype, Device? device)
        {
            var config = dir.Config<ClipTextConfig>(ModelIndex.Roles.TextEncoder);
            var tensors = ClipTextNames.ToOpenAi(Weights(ModelIndex.Roles.TextEncoder), keepProjection: config.ProjectionDim is not null);
            return Place(new ClipTextTransformer(config), tensors, dtype, device);
        }

        public TextVae TextVae(ScalarType dtype, Device? device)
        {
            var config = dir.Config<TextVaeConfig>(ModelIndex.Roles.TextVae);
            return Place(new TextVae(config), FlowTokCheckpoint.TextVaePart(Weights(ModelIndex.Roles.TextVae)), dtype, device);
        }

        public FlowTransformer Flow(string role, ScalarType dtype, Device? device)
        {
            var config = dir.Config<FlowTransformerConfig>(role);
            return Place(new FlowTransformer(config), FlowTokCheckpoint.FlowPart(Weights(role)), dtype, device);
        }

        public FlowTiTok ImageTokenizer(ScalarType dtype, Device? device)
        {
            var config = dir.Config<ImageTokenizerConfig>(ModelIndex.Roles.ImageTokenizer);
            return Place(new FlowTiTok(config), Weights(ModelIndex.Roles.ImageTokenizer), dtype, device);
        }

        public TextTokenDecoder TextDecoder(ScalarType dtype, Device? device)
        {
            var config = dir.Config<TextDecoderConfig>(ModelIndex.Roles.TextDecoder);
            return Place(new TextTokenDecoder(config), Weights(ModelIndex.Roles.TextDecoder), dtype, device);
        }

        private Dictionary<string, Tensor> Weights(string role)
        {
            var path = dir.WeightsPath(role);
            Report(role, path);
            if (!files.TryGetValue(path, out var tensors))
                files[path] = tensors = StateDict.Read(path);
            return tensors;
        }

        private void Report(string role, string path) =>
            progress?.Report(new LoadProgress(++loaded, count, role, path));

        private static T Place<T>(T module, IReadOnlyDictionary<string, Tensor> tensors, ScalarType dtype, Device? device) where T : nn.Module
        {
            if (dtype != ScalarType.Float32) module.to(dtype);
            if (device is not null) module.to(device);
            StateDict.LoadInto(module, tensors);
            module.eval();
            return module;
        }
    }
}
