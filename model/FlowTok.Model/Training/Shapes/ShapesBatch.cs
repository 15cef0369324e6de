using static TorchSharp.torch;

namespace FlowTok.Model.Training.Shapes;

/// <summary>Images [B, 3, H, W] in [0, 1] with their scenes and captions; disposing it frees the images.</summary>
public sealed class ShapesBatch(Tensor images, IReadOnlyList<ShapeScene> scenes) : IDisposable
{
    public Tensor Images { get; } = images;
    public IReadOnlyList<ShapeScene> Scenes { get; } = scenes;
    public IReadOnlyList<string> Captions { get; } = scenes.Select(ShapeCaptions.Caption).ToArray();
    public int Count => Scenes.Count;

    public void Dispose() => Images.Dispose();
}
