namespace FlowTok.Model.Training.Shapes;

/// <summary>Two sizes a factor of 1.56 apart (radius 9 and 14 px at 64 px), so that size is never ambiguous despite the per-image jitter.</summary>
public enum ShapeSize
{
    Small,
    Large,
}
