using System.Collections.Concurrent;
using FlowTok.Contracts;
using FlowTok.Grains.Models;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlowTok.Grains.Tests;

/// <summary>The replica with the bundled model: step-level batching, bounds, cancellation, prompt-cache reuse.</summary>
public sealed class ModelRunnerTests
{
    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    private readonly ConcurrentDictionary<string, bool> cancelled = new();

    private ModelRunner Start(int maxBatch = 4, int delayMs = 300, int maxQueue = 64) => new(
        new ModelHostingOptions { Path = BundledModel, MaxBatchSize = maxBatch, MaxQueueDelay = TimeSpan.FromMilliseconds(delayMs), MaxQueueLength = maxQueue },
        "cpu:0", job => cancelled.ContainsKey(job), NullLogger.Instance);

    [Fact]
    public async Task ConcurrentRequestsAreBatchedUpToTheMaximum()
    {
        using var runner = Start(maxBatch: 4);
        var model = await runner.Loaded;
        var tasks = Enumerable.Range(0, 6).Select(i =>
            runner.GenerateAsync("job-a", i, "a small red circle at the top left on a blue background", seed: i, steps: 4, guidance: 2, cached: null)).ToArray();
        var results = await Task.WhenAll(tasks);

        // Four rows start together and take 4 steps; the other two join when they leave: 8 steps, never more than 4 rows.
        var stats = runner.Stats;
        Assert.Equal(6, stats.Items);
        Assert.Equal(8, stats.Steps);
        Assert.Equal(6 * 4, stats.RowSteps);
        Assert.Equal(4, stats.MaxRows);
        foreach (var result in results)
        {
            using var image = Image.Load<Rgb24>(result.Png);
            Assert.Equal(model.ImageSize, image.Width);
            Assert.Equal(model.ImageSize, image.Height);
        }
    }

    [Fact]
    public async Task ItemsWithOtherStepsAndGuidanceShareSteps()
    {
        using var runner = Start(maxBatch: 8);
        await runner.Loaded;
        await Task.WhenAll(
            runner.GenerateAsync("job-a", 0, "a red circle", 1, steps: 3, guidance: 2, cached: null),
            runner.GenerateAsync("job-b", 0, "a red circle", 1, steps: 5, guidance: 3.5, cached: null),
            runner.GenerateAsync("job-c", 0, "a red circle", 1, steps: 3, guidance: 1, cached: null));
        // One forward per step for all three rows while they last: 5 steps, 3 + 5 + 3 row-steps.
        Assert.Equal(5, runner.Stats.Steps);
        Assert.Equal(11, runner.Stats.RowSteps);
    }

    [Fact]
    public async Task CachedPromptEncodingGivesTheSameImage()
    {
        using var runner = Start(maxBatch: 1, delayMs: 0);
        await runner.Loaded;
        var first = await runner.GenerateAsync("job-a", 0, "a large green star in the center on a white background", 7, 4, 2, cached: null);
        Assert.NotNull(first.NewPromptEncoding);
        var again = await runner.GenerateAsync("job-b", 0, "a large green star in the center on a white background", 7, 4, 2, cached: first.NewPromptEncoding);
        Assert.Null(again.NewPromptEncoding);
        Assert.Equal(first.Png, again.Png);
    }

    [Fact]
    public async Task TheReplicaSamplesWithTheModelsTextNoise()
    {
        // The bundled model's index sets text noise 0: every seed starts from the text tokens' mean, so one image per prompt.
        Assert.Equal(0.0, ModelDirectory.Open(BundledModel).Index.Defaults.TextNoise);
        using var runner = Start(maxBatch: 2, delayMs: 0);
        await runner.Loaded;
        const string prompt = "a large blue cross at the bottom right on a yellow background";
        var first = await runner.GenerateAsync("job-a", 0, prompt, 1, 4, 2, cached: null);
        var second = await runner.GenerateAsync("job-a", 1, prompt, 2, 4, 2, cached: null);
        Assert.Equal(first.Png, second.Png);
    }

    [Fact]
    public void EveryTextNoiseTheGatewayAcceptsTheModelAcceptsToo()
    {
        Assert.Equal(GenerationOptions.MaxTextNoise, Limits.MaxTextNoise);
        Assert.Equal(0, Limits.MinTextNoise);
    }

    [Fact]
    public async Task ARequestedTextNoiseOverridesTheModels()
    {
        using var runner = Start(maxBatch: 8, delayMs: 300);
        await runner.Loaded;
        const string prompt = "a large blue cross at the bottom right on a yellow background";
        var results = await Task.WhenAll(
            runner.GenerateAsync("job-a", 0, prompt, 1, 4, 2, cached: null, textNoise: 1),
            runner.GenerateAsync("job-a", 1, prompt, 2, 4, 2, cached: null, textNoise: 1),
            runner.GenerateAsync("job-b", 0, prompt, 1, 4, 2, cached: null),
            runner.GenerateAsync("job-c", 0, prompt, 1, 4, 2, cached: null, textNoise: 0));
        // With the paper's noise the seed matters again; the model's own (0 for the bundled model) and an explicit 0 agree.
        Assert.NotEqual(results[0].Png, results[1].Png);
        Assert.NotEqual(results[0].Png, results[2].Png);
        Assert.Equal(results[2].Png, results[3].Png);
        // Text noise 1, the model's own, and 0 share every step.
        Assert.Equal(4, runner.Stats.Steps);
    }

    [Fact]
    public async Task TheQueueIsBoundedAndShutdownFailsWhatIsLeft()
    {
        var runner = Start(maxBatch: 8, delayMs: 10_000, maxQueue: 2);
        // A batch of 8 waits up to 10 s for companions, so both items stay queued.
        var a = runner.GenerateAsync("job-a", 0, "a red circle", 1, 2, 2, null);
        var b = runner.GenerateAsync("job-a", 1, "a red circle", 2, 2, 2, null);
        var error = Assert.Throws<ModelQueueFullException>(() => { _ = runner.GenerateAsync("job-a", 2, "a red circle", 3, 2, 2, null); });
        Assert.Contains("full", error.Message);
        runner.Dispose();
        // Accepted work is never dropped silently: shutting down fails it with the reason.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => a);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => b);
    }

    [Fact]
    public async Task CancelledQueuedItemsNeverRun()
    {
        using var runner = Start(maxBatch: 1);
        var running = runner.GenerateAsync("job-a", 0, "a red circle", 1, 20, 2, null);
        var queued = runner.GenerateAsync("job-b", 0, "a blue square", 1, 20, 2, null);
        cancelled["job-b"] = true;
        runner.CancelJob("job-b");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await running;
        Assert.Equal(1, runner.Stats.Items);
    }

    [Fact]
    public async Task ACancelledItemLeavesItsRunningBatchAtTheNextStep()
    {
        using var runner = Start(maxBatch: 2);
        await runner.Loaded;
        var stepsOfCancelled = new ConcurrentBag<int>();
        var keeps = runner.GenerateAsync("job-keep", 0, "a red circle", 1, 10, 2, null);
        var stops = runner.GenerateAsync("job-stop", 0, "a blue square", 2, 10, 2, null, (step, _) =>
        {
            stepsOfCancelled.Add(step);
            if (step == 3) cancelled["job-stop"] = true;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stops);
        var kept = await keeps;
        Assert.Equal(3, stepsOfCancelled.Max());
        using var image = Image.Load<Rgb24>(kept.Png);
        Assert.True(image.Width > 0);
        Assert.Equal(10, runner.Stats.Steps);
        Assert.Equal(10 + 3, runner.Stats.RowSteps);
    }

    [Fact]
    public async Task AMissingModelFailsLoadingWithTheReason()
    {
        using var runner = new ModelRunner(new ModelHostingOptions { Path = "/nonexistent/flowtok-model" }, "cpu:0", _ => false, NullLogger.Instance);
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => runner.Loaded);
        Assert.Contains("/nonexistent/flowtok-model", error.Message);
    }

    [Fact]
    public async Task CaptionsComeBackAsText()
    {
        using var runner = Start(maxBatch: 2);
        var model = await runner.Loaded;
        Assert.True(model.ImageToText);
        var image = await runner.GenerateAsync("job-a", 0, "a large red circle in the center on a blue background", 3, 20, 2, null);
        var caption = await runner.CaptionAsync("job-b", 0, image.Png, 20, 2);
        Assert.False(string.IsNullOrWhiteSpace(caption));
        Assert.Contains("background", caption);
    }
}
