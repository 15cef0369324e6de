using System.Diagnostics;
using FlowTok.Infrastructure.Storage;

namespace FlowTok.Grains.Models;

/// <summary>Reports sampler progress of one item: step k of N.</summary>
public delegate void ItemProgress(int step, int steps);

/// <summary>An item waiting in a replica's queue. Items batch together when their <see cref="BatchKey"/> matches.</summary>
internal abstract class WorkItem(string jobId, int index, int steps, double guidance, ItemProgress? progress, double? textNoise = null)
{
    public string JobId { get; } = jobId;
    public int Index { get; } = index;
    public int Steps { get; } = steps;
    public double Guidance { get; } = guidance;
    /// <summary>Generations: the requested text noise, null for the model's own.</summary>
    public double? TextNoise { get; } = textNoise;
    public ItemProgress? Progress { get; } = progress;
    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    public (Type, int, double, double?) BatchKey => (GetType(), Steps, Guidance, TextNoise);

    public abstract void Cancel();

    public abstract void Fail(Exception error);
}

/// <summary>A generated image (PNG) and, when the prompt was not cached, its encoding for the prompt cache.</summary>
public sealed record GeneratedImage(byte[] Png, PromptEncodingRecord? NewPromptEncoding);

internal sealed class GenerateItem(string jobId, int index, string prompt, long seed, int steps, double guidance,
    PromptEncodingRecord? cached, ItemProgress? progress, double? textNoise = null) : WorkItem(jobId, index, steps, guidance, progress, textNoise)
{
    public string Prompt { get; } = prompt;
    public long Seed { get; } = seed;
    public PromptEncodingRecord? Cached { get; } = cached;
    public TaskCompletionSource<GeneratedImage> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Cancel() => Done.TrySetCanceled();

    public override void Fail(Exception error) => Done.TrySetException(error);
}

internal sealed class CaptionItem(string jobId, int index, byte[] image, int steps, double guidance, ItemProgress? progress)
    : WorkItem(jobId, index, steps, guidance, progress)
{
    public byte[] Image { get; } = image;
    public TaskCompletionSource<string> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Cancel() => Done.TrySetCanceled();

    public override void Fail(Exception error) => Done.TrySetException(error);
}
