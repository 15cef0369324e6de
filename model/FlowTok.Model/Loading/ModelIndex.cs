using System.Text.Json.Serialization;

namespace FlowTok.Model.Loading;

/// <summary>One component on disk: its folder (holding <c>config.json</c>) and, optionally, its weights file.</summary>
public sealed record ComponentEntry
{
    /// <summary>Folder relative to the model directory.</summary>
    public required string Path { get; init; }
    /// <summary>Weights file relative to the component folder; default: the folder's only checkpoint file
    /// (<c>model.safetensors</c> preferred). Published FlowTok keeps flow and text VAE in one file, so two entries may
    /// name the same file, e.g. <c>../FlowTok-XL.pth</c>.</summary>
    public string? Weights { get; init; }
}

/// <summary>
/// <c>model_index.json</c>: names the components of a FlowTok model directory. The same layout holds published
/// weights and the project's own trained ones.
/// </summary>
public sealed record ModelIndex
{
    public const string FileName = "model_index.json";
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public string Name { get; init; } = "flowtok";
    /// <summary>Components by role: tokenizer, text_encoder, text_vae, flow, image_tokenizer (text-to-image) and
    /// i2t_flow, text_decoder (image-to-text, optional).</summary>
    public required Dictionary<string, ComponentEntry> Components { get; init; }
    public DefaultSettings Defaults { get; init; } = new();

    [JsonIgnore]
    public bool HasImageToText => Components.ContainsKey(Roles.ImageToTextFlow) && Components.ContainsKey(Roles.TextDecoder);

    public sealed record DefaultSettings
    {
        public int Steps { get; init; } = 20;
        public double GuidanceScale { get; init; } = 2.0;
        /// <summary>See <see cref="Pipelines.GenerationOptions.TextNoise"/>; 1 (the paper's sampling) when absent.</summary>
        public double TextNoise { get; init; } = 1.0;

        /// <summary>These defaults as sampling options (not validated).</summary>
        public Pipelines.GenerationOptions ToOptions() => new() { Steps = Steps, GuidanceScale = GuidanceScale, TextNoise = TextNoise };
    }

    public static class Roles
    {
        public const string Tokenizer = "tokenizer";
        public const string TextEncoder = "text_encoder";
        public const string TextVae = "text_vae";
        public const string Flow = "flow";
        public const string ImageTokenizer = "image_tokenizer";
        public const string ImageToTextFlow = "i2t_flow";
        public const string TextDecoder = "text_decoder";

        public static readonly string[] TextToImage = [Tokenizer, TextEncoder, TextVae, Flow, ImageTokenizer];
        public static readonly string[] ImageToText = [Tokenizer, ImageTokenizer, ImageToTextFlow, TextDecoder];
    }
}
