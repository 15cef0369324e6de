using FlowTok.Storage;

namespace FlowTok.Grains.Batching;

/// <summary>What a row does: text to image (generate) or image to text (caption). Rows of one kind share forwards.</summary>
public enum RowKind
{
    Generate,
    Caption,
}

/// <summary>A row's sampling settings: its own step count, guidance scale, (generations) text noise (null = the model's) and
/// how many previews of its image it asks for (<see cref="PreviewSchedule"/>).</summary>
public sealed record RowSettings(int Steps, double Guidance, double? TextNoise = null, int Previews = 0)
{
    public PreviewSchedule PreviewSchedule { get; } = new(Steps, Previews);
}

/// <summary>What a generation row starts from: its prompt (or the prompt's cached encoding) and seed.</summary>
public sealed record GenerateInput(string Prompt, long Seed, PromptEncodingRecord? Cached);

/// <summary>What a caption row starts from: the uploaded image's bytes.</summary>
public sealed record CaptionInput(byte[] Image);

/// <summary>
/// One image or caption being sampled on a device, a row of the step batch. <see cref="StepsDone"/> is its own position
/// on its own Euler grid; <see cref="State"/> is what the device keeps for it between steps (latents, text guidance).
/// </summary>
public sealed class StepRow(long id, RowKind kind, RowSettings settings, object input)
{
    public long Id { get; } = id;
    public RowKind Kind { get; } = kind;
    public RowSettings Settings { get; } = settings;
    /// <summary><see cref="GenerateInput"/> or <see cref="CaptionInput"/>.</summary>
    public object Input { get; } = input;
    public int StepsDone { get; internal set; }
    public bool Sampled => StepsDone >= Settings.Steps;
    /// <summary>The step it takes next is followed by a preview (its device keeps that step's estimate of the final image).</summary>
    public bool PreviewNext => Settings.PreviewSchedule.IndexAfter(StepsDone + 1) is not null;
    /// <summary>A preview is due now: the step just taken is one of its schedule's.</summary>
    public int? PreviewDue => Settings.PreviewSchedule.IndexAfter(StepsDone);
    /// <summary>The device's per-row state; set by <see cref="IStepDevice.Start"/>, freed by <see cref="IStepDevice.Release"/>.</summary>
    public object? State { get; set; }

    public override string ToString() => $"row {Id} ({Kind}, step {StepsDone}/{Settings.Steps}, guidance {Settings.Guidance})";
}
