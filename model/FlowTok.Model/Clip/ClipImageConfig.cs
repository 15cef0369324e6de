using System.Text.Json.Serialization;

namespace FlowTok.Model.Clip;

/// <summary>How <see cref="ClipImageEncoder"/> pools its token states into one image vector.</summary>
public enum ClipImagePooling
{
    /// <summary>The state of a learned class token prepended to the patches (OpenAI CLIP's ViT).</summary>
    ClassToken,
    /// <summary>The mean of the patch states.</summary>
    Mean,
}

/// <summary>Hyperparameters of the project's small CLIP image tower (a ViT; defaults fit the 64x64 training images).</summary>
public sealed record ClipImageConfig
{
    public int ImageSize { get; init; } = 64;
    public int PatchSize { get; init; } = 8;
    public int Channels { get; init; } = 3;
    public int Width { get; init; } = 128;
    public int Heads { get; init; } = 4;
    public int Layers { get; init; } = 4;
    /// <summary>Width of the joint text-image embedding; must equal the text tower's <c>ProjectionDim</c>.</summary>
    public int ProjectionDim { get; init; } = 128;
    public ClipImagePooling Pooling { get; init; } = ClipImagePooling.ClassToken;
    public double LayerNormEps { get; init; } = 1e-5;

    [JsonIgnore]
    public int GridSize => ImageSize / PatchSize;

    [JsonIgnore]
    public int Patches => GridSize * GridSize;

    public void Validate()
    {
        if (ImageSize <= 0 || PatchSize <= 0 || Channels <= 0 || Width <= 0 || Heads <= 0 || Layers <= 0 || ProjectionDim <= 0)
            throw new ArgumentException($"CLIP image config has a non-positive size: {this}");
        if (ImageSize % PatchSize != 0)
            throw new ArgumentException($"CLIP image size {ImageSize} is not a multiple of the patch size {PatchSize}");
        if (Width % Heads != 0)
            throw new ArgumentException($"CLIP image width {Width} is not divisible by {Heads} heads");
    }
}
