namespace FlowTok.Model.Training.Shapes;

/// <summary>Where the shape sits: one of the four quadrants or the centre of the image.</summary>
public enum ShapePosition
{
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
    Center,
}
