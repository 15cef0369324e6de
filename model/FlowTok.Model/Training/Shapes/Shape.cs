namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// The five drawn shapes. Chosen so that the analytic checker tells them apart from pixels alone, even small and
/// blurred: three convex shapes with 0, 4 and 3 corners, and two concave ones with 4 and 5 arms.
/// </summary>
public enum Shape
{
    Circle,
    Square,
    Triangle,
    Star,
    Cross,
}
