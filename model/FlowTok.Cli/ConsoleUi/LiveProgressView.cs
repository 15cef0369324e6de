using FlowTok.Model.Loading;
using FlowTok.Model.Sampling;
using Spectre.Console;

namespace FlowTok.Cli.ConsoleUi;

/// <summary>Animated Spectre.Console progress bars on an interactive terminal.</summary>
internal sealed class LiveProgressView(IAnsiConsole console) : ProgressView
{
    protected override T RunLoading<T>(IReadOnlyList<string> roles, Func<IProgress<LoadProgress>, T> load) =>
        Bars().Start(ctx =>
        {
            var tasks = roles.Select(role => ctx.AddTask($"load {Markup.Escape(role)}", autoStart: false, maxValue: 1)).ToArray();
            // A report means component Index (1-based) has started, so every earlier one is done.
            var result = load(new SyncProgress<LoadProgress>(p =>
            {
                for (int i = 0; i < tasks.Length; i++)
                {
                    if (i < p.Index - 1) tasks[i].Value = 1;
                    else if (i == p.Index - 1)
                    {
                        tasks[i].IsIndeterminate = true;
                        tasks[i].StartTask();
                    }
                }
            }));
            foreach (var task in tasks)
            {
                task.IsIndeterminate = false;
                task.Value = 1;
            }
            return result;
        });

    public override void Sampling(string what, int batches, int steps, Action<int, IProgress<SamplingProgress>> runBatch) =>
        Bars().Start(ctx =>
        {
            var total = ctx.AddTask(Markup.Escape(what), maxValue: (double)batches * steps);
            for (int b = 0; b < batches; b++)
            {
                var batch = ctx.AddTask($"batch {b + 1}/{batches}", maxValue: steps);
                runBatch(b, new SyncProgress<SamplingProgress>(p =>
                {
                    batch.Increment(p.Step - batch.Value);
                    total.Increment(1);
                }));
                batch.Value = steps;
            }
            total.Value = total.MaxValue;
        });

    public override void Training(Action<IProgress<Model.Training.TrainingProgress>> run) =>
        Bars().Start(ctx =>
        {
            var tasks = new Dictionary<string, ProgressTask>();
            run(new SyncProgress<Model.Training.TrainingProgress>(p =>
            {
                if (!tasks.TryGetValue(p.Stage, out var task))
                    tasks[p.Stage] = task = ctx.AddTask(Markup.Escape(p.Stage), maxValue: p.Steps);
                task.Value = p.Step;
                task.Description = Markup.Escape($"{p.Stage} {Describe(p)}");
            }));
        });

    private Progress Bars() => console.Progress()
        .AutoClear(false)
        .HideCompleted(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
            new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn());
}
