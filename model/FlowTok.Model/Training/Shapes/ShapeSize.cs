namespace FlowTok.Model.Training.Shapes;

/// <summary>Two sizes a factor of two apart, so that size is never ambiguous despite the per-image jitter.</summary>
public enum ShapeSize
{
    Small,
    Large,
}
