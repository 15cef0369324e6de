using System.Diagnostics;
using System.Text.Json;
using FlowTok.Model.Checkpoints;
using FlowTok.Model.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlowTok.Model.Training;

/// <summary>What one training step returns: the loss to minimise and named scalars to report.</summary>
public sealed record StepResult(Tensor Loss, IReadOnlyDictionary<string, Tensor>? Metrics = null);

/// <summary>
/// The loop every stage shares: AdamW with warm-up + cosine schedule, gradient clipping, EMA, progress with ETA,
/// and resumable checkpoints (weights, EMA, optimizer state, step) written atomically. Each step gets its own
/// generator seeded from (seed, step), so a resumed run continues exactly as an uninterrupted one.
/// </summary>
public sealed class TrainingLoop
{
    private const string StateFile = "state.json";
    private const string OptimizerFile = "optimizer.bin";

    private readonly string stage;
    private readonly IReadOnlyList<(string Name, nn.Module Module)> modules;
    private readonly TrainingOptions options;
    private readonly string checkpointDir;

    /// <param name="modules">The trainable modules by name (their parameters are optimised together).</param>
    /// <param name="checkpointDir">Where resumable checkpoints go; an existing one is resumed.</param>
    public TrainingLoop(string stage, IReadOnlyList<(string Name, nn.Module Module)> modules, TrainingOptions options, string checkpointDir)
    {
        options.Validate();
        this.stage = stage;
        this.modules = modules;
        this.options = options;
        this.checkpointDir = checkpointDir;
    }

    /// <summary>The EMA weights (or the live ones without EMA) of each module after <see cref="Run"/>.</summary>
    public Dictionary<string, Dictionary<string, Tensor>> FinalWeights { get; } = new();

    /// <summary>Loss of the first logged step and the smoothed loss at the end.</summary>
    public (double First, double Last) LossTrace { get; private set; }

    public void Run(Func<int, Generator, StepResult> step, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        foreach (var (_, m) in modules) m.train();
        var parameters = modules.SelectMany(m => m.Module.parameters()).Where(p => p.requires_grad).ToList();
        using var optimizer = torch.optim.AdamW(parameters, options.LearningRate, options.Beta1, options.Beta2, 1e-8, options.WeightDecay, false, false);
        var emas = options.EmaDecay > 0 ? modules.Select(m => new ExponentialMovingAverage(m.Module, options.EmaDecay)).ToList() : null;
        try
        {
            int start = Resume(optimizer, emas);
            var clock = Stopwatch.StartNew();
            double smoothed = double.NaN, first = double.NaN;
            for (int s = start; s < options.Steps; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double lr = options.LearningRateAt(s);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;

                int stepIndex = s;
                var (loss, metrics) = NativeCallGuard.Run(() =>
                {
                    using var scope = torch.NewDisposeScope();
                    using var generator = new Generator((ulong)(options.Seed * 1_000_003L + stepIndex));
                    optimizer.zero_grad();
                    var result = step(stepIndex, generator);
                    result.Loss.backward();
                    if (options.GradientClip > 0) nn.utils.clip_grad_norm_(parameters, options.GradientClip, 2);
                    optimizer.step();
                    return ((double)result.Loss.item<float>(),
                        (result.Metrics ?? new Dictionary<string, Tensor>()).ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>()));
                });
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"{stage}: loss became {loss} at step {s}; lower the learning rate");
                if (emas is not null)
                    for (int i = 0; i < modules.Count; i++) emas[i].Update(modules[i].Module, s);

                smoothed = double.IsNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
                if (double.IsNaN(first)) first = loss;
                int done = s + 1 - start;
                var elapsed = clock.Elapsed;
                var remaining = TimeSpan.FromTicks(elapsed.Ticks / done * (options.Steps - s - 1));
                progress?.Report(new TrainingProgress(stage, s + 1, options.Steps, loss, smoothed, lr, elapsed, remaining, metrics));

                if ((s + 1) % options.CheckpointEvery == 0 || s + 1 == options.Steps)
                    Save(s + 1, optimizer, emas);
            }
            LossTrace = (first, smoothed);
            for (int i = 0; i < modules.Count; i++)
                FinalWeights[modules[i].Name] = (emas?[i].StateDict(modules[i].Module) ?? modules[i].Module.state_dict())
                    .ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        }
        finally
        {
            foreach (var (_, m) in modules) m.eval();
            if (emas is not null) foreach (var e in emas) e.Dispose();
        }
    }

    /// <summary>Copies the final (EMA) weights into the modules, for evaluation or export.</summary>
    public void ApplyFinalWeights()
    {
        foreach (var (name, module) in modules)
            if (FinalWeights.TryGetValue(name, out var weights))
                StateDict.LoadInto(module, weights);
    }

    private int Resume(OptimizerHelper optimizer, List<ExponentialMovingAverage>? emas)
    {
        var statePath = Path.Combine(checkpointDir, StateFile);
        if (!File.Exists(statePath)) return 0;
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath} is empty");
        if (state.Stage != stage)
            throw new InvalidDataException($"{checkpointDir} holds a '{state.Stage}' checkpoint, not '{stage}'");
        for (int i = 0; i < modules.Count; i++)
        {
            var (name, module) = modules[i];
            StateDict.LoadFile(module, Path.Combine(checkpointDir, $"{name}.safetensors"));
            var emaPath = Path.Combine(checkpointDir, $"{name}.ema.safetensors");
            if (emas is not null && File.Exists(emaPath)) emas[i].Load(StateDict.Read(emaPath));
        }
        optimizer.load_state_dict(Path.Combine(checkpointDir, OptimizerFile));
        return Math.Min(state.Step, options.Steps);
    }

    private void Save(int step, OptimizerHelper optimizer, List<ExponentialMovingAverage>? emas)
    {
        // Written to a sibling folder and swapped in, so an interrupted save never leaves a half checkpoint.
        var staging = checkpointDir + ".saving";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        for (int i = 0; i < modules.Count; i++)
        {
            var (name, module) = modules[i];
            StateDict.WriteSafetensors(Path.Combine(staging, $"{name}.safetensors"), module.state_dict());
            if (emas is not null)
                StateDict.WriteSafetensors(Path.Combine(staging, $"{name}.ema.safetensors"), emas[i].StateDict(module));
        }
        optimizer.save_state_dict(Path.Combine(staging, OptimizerFile));
        File.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(new CheckpointState(stage, step)));
        if (Directory.Exists(checkpointDir)) Directory.Delete(checkpointDir, recursive: true);
        Directory.Move(staging, checkpointDir);
    }

    private sealed record CheckpointState(string Stage, int Step);
}
