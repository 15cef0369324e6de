using FlowTok.Grains.Models;

namespace FlowTok.Grains.Batching;

/// <summary>
/// A simulated device for one task kind: each call takes the wall time of <see cref="SimulatedDeviceOptions"/>' cost model
/// (a step over n rows: a + n b; decoding n rows: d + n e) and no CPU. Rows whose input says so fail, to exercise failure
/// isolation: a prompt or image starting with <see cref="FailMarker"/> fails at the step where its row reaches
/// <see cref="FailAtStep"/>.
/// </summary>
internal sealed class SimulatedStepDevice(RowKind kind, SimulatedDeviceOptions options, SimulatedOutputs outputs) : IStepDevice
{
    public const string FailMarker = "simulate-device-failure";
    public const int FailAtStep = 2;

    public RowKind Kind { get; } = kind;

    public void Start(IReadOnlyList<StepRow> rows)
    {
        foreach (var row in rows) row.State = Fails(row);
    }

    public void Step(IReadOnlyList<StepRow> rows)
    {
        Take(options.StepTime(rows.Count));
        if (rows.FirstOrDefault(r => r.State is true && r.StepsDone + 1 == FailAtStep) is { } bad)
            throw new InvalidOperationException($"simulated device failure in {bad}");
    }

    public IReadOnlyList<object> Finish(IReadOnlyList<StepRow> rows)
    {
        var time = options.DecodeTime(rows.Count);
        if (time > TimeSpan.Zero) Take(time);
        return rows.Select(row => row.Input switch
        {
            GenerateInput g => (object)new GeneratedImage(outputs.Image(g.Seed), null),
            CaptionInput c => SimulatedOutputs.Caption(c.Image),
            _ => throw new ArgumentException($"unknown input {row.Input.GetType().Name}"),
        }).ToList();
    }

    /// <summary>A preview costs what decoding costs; its image is the final one faded towards grey by the steps still to go.</summary>
    public IReadOnlyList<byte[]> Preview(IReadOnlyList<StepRow> rows)
    {
        if (rows.FirstOrDefault(r => r.Input is not GenerateInput) is { } other) throw new NotSupportedException($"{other} has no previews");
        var time = options.DecodeTime(rows.Count);
        if (time > TimeSpan.Zero) Take(time);
        return rows.Select(r => outputs.Preview(((GenerateInput)r.Input).Seed, r.StepsDone, r.Settings.Steps)).ToList();
    }

    public void Release(StepRow row) => row.State = null;

    /// <summary>Exactly <paramref name="time"/> of wall time: Thread.Sleep counts whole milliseconds (12.5 ms would be 12), so
    /// the last fraction is waited out yielding the core.</summary>
    private static void Take(TimeSpan time)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        int whole = (int)Math.Floor(time.TotalMilliseconds) - 1;
        if (whole > 0) Thread.Sleep(whole);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.Yield();
    }

    public void Dispose()
    {
    }

    private static bool Fails(StepRow row) => row.Input switch
    {
        GenerateInput g => g.Prompt.StartsWith(FailMarker, StringComparison.Ordinal),
        CaptionInput c => c.Image.AsSpan().StartsWith(System.Text.Encoding.ASCII.GetBytes(FailMarker)),
        _ => false,
    };
}
