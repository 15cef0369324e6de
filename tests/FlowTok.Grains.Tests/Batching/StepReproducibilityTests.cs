using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Model.Loading;
using FlowTok.Model.Pipelines;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>
/// With the bundled model (fp32, CPU): an image depends only on its prompt, seed and settings, not on what shares its steps.
/// Per row, step-level sampling does the same arithmetic as the whole-batch sampler; companions change a row's numbers only
/// through the forward's float rounding (matrix products blocked differently for another batch size). The bound stated
/// and tested: latents within 1e-4 (absolute, values of order 1) after the last step, decoded images within one 8-bit level
/// per channel. Measured here: identical to the whole-batch sampler alone, and about 1e-6 with companions.
/// </summary>
public sealed class StepReproducibilityTests(ITestOutputHelper output)
{
    private const double LatentBound = 1e-4;

    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    private static long ids;

    private static StepRow Row(string prompt, long seed, int steps, double guidance) =>
        new(Interlocked.Increment(ref ids), RowKind.Generate, new RowSettings(steps, guidance, TextNoise: 1), new GenerateInput(prompt, seed, null));

    private static float[] Latent(StepRow row) => ((EulerRows.IState)row.State!).X.data<float>().ToArray();

    private static void StepAll(IStepDevice device, IReadOnlyList<StepRow> rows)
    {
        device.Step(rows);
        foreach (var row in rows) row.StepsDone++;
    }

    [Fact]
    public void ARowGivesTheSameImageAloneAndAmongRowsAtOtherStepsAndGuidance()
    {
        var directory = ModelDirectory.Open(BundledModel);
        using var pipeline = directory.LoadTextToImage(ScalarType.Float32, torch.CPU);
        var device = new TorchGenerationDevice(pipeline, directory.Index.Defaults.TextNoise, batchedGuidance: true);
        const string prompt = "a large red circle in the center on a blue background";

        // The whole-batch sampler, the replica's path before step-level batching.
        float[] reference;
        using (var scope = torch.NewDisposeScope())
        {
            var encoded = pipeline.EncodePrompt([prompt]);
            var encoding = PromptRecords.ToBatch([PromptRecords.FromRow(encoded, 0)], pipeline.Device);
            var x0 = pipeline.PrepareLatents(encoding, [7], textNoise: 1);
            reference = pipeline.Sample(x0, new GenerationOptions { Steps = 8, GuidanceScale = 2.5, TextNoise = 1 }).data<float>().ToArray();
        }

        // Alone, step by step.
        var alone = Row(prompt, 7, 8, 2.5);
        device.Start([alone]);
        while (!alone.Sampled) StepAll(device, [alone]);
        var aloneLatent = Latent(alone);
        var alonePng = ((GeneratedImage)device.Finish([alone])[0]).Png;
        device.Release(alone);

        // Among companions: two rows already 3 steps in (other prompts, step counts and guidance), one joining later, one
        // leaving before the end.
        var mixed = Row(prompt, 7, 8, 2.5);
        var early = Row("a small yellow square at the top left on a black background", 1, 5, 1.0);
        var longer = Row("a medium green triangle at the bottom right on a white background", 2, 12, 4.0);
        var later = Row("a large white cross in the center on a red background", 3, 6, 0.0);
        device.Start([early, longer]);
        for (int i = 0; i < 3; i++) StepAll(device, [early, longer]);
        device.Start([mixed]);
        var rows = new List<StepRow> { early, longer, mixed };
        for (int step = 0; !mixed.Sampled; step++)
        {
            if (step == 2)
            {
                device.Start([later]);
                rows.Insert(0, later);
            }
            StepAll(device, rows);
            rows.RemoveAll(r => r.Sampled && r != mixed);
        }
        var mixedLatent = Latent(mixed);
        var mixedPng = ((GeneratedImage)device.Finish([mixed, early])[0]).Png;
        foreach (var row in new[] { mixed, early, longer, later }) device.Release(row);

        double vsReference = MaxDifference(aloneLatent, reference);
        double vsCompanions = MaxDifference(mixedLatent, aloneLatent);
        Assert.True(vsReference <= LatentBound, $"step-level sampling alone differs from the whole-batch sampler by {vsReference:E2}");
        Assert.True(vsCompanions <= LatentBound, $"companions changed the row's latents by {vsCompanions:E2}");
        output.WriteLine($"max |alone - whole-batch sampler| {vsReference:E2}, max |with companions - alone| {vsCompanions:E2}");
        Assert.True(PngPixels.MaxDifference(alonePng, mixedPng) <= 1, "the decoded images differ by more than one level");
    }

    private static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
