namespace FlowTok.Model.Training;

/// <summary>Where a training stage is: step, losses (raw and smoothed), learning rate, time spent and left.</summary>
public readonly record struct TrainingProgress(
    string Stage,
    int Step,
    int Steps,
    double Loss,
    double SmoothedLoss,
    double LearningRate,
    TimeSpan Elapsed,
    TimeSpan Remaining,
    IReadOnlyDictionary<string, double> Metrics);
