namespace FlowTok.Model.Training;

/// <summary>Optimisation settings of one training stage (AdamW, linear warm-up then cosine decay, EMA of the weights).</summary>
public sealed record TrainingOptions
{
    public int Steps { get; init; } = 1000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public double MinLearningRate { get; init; } = 1e-5;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double GradientClip { get; init; } = 1.0;
    /// <summary>Decay of the exponential moving average of the weights; 0 disables EMA.</summary>
    public double EmaDecay { get; init; } = 0.999;
    public int Seed { get; init; } = 1234;
    /// <summary>Save a resumable checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 200;

    public void Validate()
    {
        if (Steps < 1 || BatchSize < 1) throw new ArgumentException($"steps and batch size must be positive: {this}");
        if (LearningRate <= 0 || MinLearningRate < 0 || WarmupSteps < 0) throw new ArgumentException($"learning-rate schedule is invalid: {this}");
        if (EmaDecay is < 0 or >= 1) throw new ArgumentException($"EMA decay must be in [0, 1): {EmaDecay}");
        if (CheckpointEvery < 1) throw new ArgumentException($"checkpoint interval must be positive: {CheckpointEvery}");
    }

    /// <summary>Linear warm-up to <see cref="LearningRate"/>, then cosine decay to <see cref="MinLearningRate"/>.</summary>
    public double LearningRateAt(int step)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        double progress = Steps <= WarmupSteps ? 1 : (double)(step - WarmupSteps) / (Steps - WarmupSteps);
        return MinLearningRate + 0.5 * (LearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }
}
