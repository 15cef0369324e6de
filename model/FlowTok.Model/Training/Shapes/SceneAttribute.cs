namespace FlowTok.Model.Training.Shapes;

/// <summary>The five things a caption says and the checker reads: the keys of per-attribute accuracy.</summary>
public enum SceneAttribute
{
    Shape,
    Color,
    Size,
    Position,
    Background,
}
