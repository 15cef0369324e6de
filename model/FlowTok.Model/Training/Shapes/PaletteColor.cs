namespace FlowTok.Model.Training.Shapes;

/// <summary>The eight colour words, used both for the shape and for the background.</summary>
public enum PaletteColor
{
    Red,
    Green,
    Blue,
    Yellow,
    Purple,
    Orange,
    White,
    Black,
}
