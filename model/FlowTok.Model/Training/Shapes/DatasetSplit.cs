namespace FlowTok.Model.Training.Shapes;

/// <summary>
/// Train and validation draw from the same seen attribute combinations (validation = fresh samples of them); test draws
/// only from the held-out combinations, to measure compositional generalisation.
/// </summary>
public enum DatasetSplit
{
    Train,
    Validation,
    Test,
}
