using FlowTok.Grains.Batching;
using FlowTok.Grains.Models;
using FlowTok.Model.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Tests.Batching;

/// <summary>
/// Previews with the bundled model (fp32, CPU): the decode of x_t + (1 - t) v after evenly spaced steps. Making them leaves
/// the row's latents bit for bit as they are without, and they approach the final image as the steps go on.
/// </summary>
public sealed class BundledModelPreviewTests
{
    private static readonly string BundledModel = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
        ?? throw new InvalidOperationException("the bundled model models/default was not found above the test directory");

    private const string Prompt = "a large red circle in the center on a blue background";

    [Fact]
    public void PreviewsApproachTheFinalImageAndLeaveItUnchanged()
    {
        var directory = ModelDirectory.Open(BundledModel);
        using var pipeline = directory.LoadTextToImage(ScalarType.Float32, torch.CPU);
        var device = new TorchGenerationDevice(pipeline, directory.Index.Defaults.TextNoise, batchedGuidance: true);
        var plain = new StepRow(1, RowKind.Generate, new RowSettings(8, 2, TextNoise: 1), new GenerateInput(Prompt, 3, null));
        var previewed = new StepRow(2, RowKind.Generate, new RowSettings(8, 2, TextNoise: 1, Previews: 3), new GenerateInput(Prompt, 3, null));
        device.Start([plain, previewed]);
        var previews = new List<(int Step, byte[] Png)>();
        // Each row alone, so that both do exactly the same arithmetic (companions would change float rounding).
        while (!previewed.Sampled)
        {
            foreach (var row in new[] { plain, previewed })
            {
                device.Step([row]);
                row.StepsDone++;
            }
            if (previewed.PreviewDue is not null) previews.Add((previewed.StepsDone, device.Preview([previewed])[0]));
        }
        Assert.Equal(((EulerRows.IState)plain.State!).X.data<float>().ToArray(), ((EulerRows.IState)previewed.State!).X.data<float>().ToArray());
        var finals = device.Finish([plain, previewed]);
        var final = ((GeneratedImage)finals[1]).Png;
        Assert.Equal(((GeneratedImage)finals[0]).Png, final);
        foreach (var row in new[] { plain, previewed }) device.Release(row);

        Assert.Equal([2, 4, 6], previews.Select(p => p.Step));
        var distances = previews.Select(p => PreviewTests.Distance(p.Png, final)).ToList();
        // The estimate sharpens: the last preview is nearer the final image than the first, and is not the final image.
        Assert.True(distances[^1] < distances[0] && distances[^1] > 0, $"distances to the final image: {string.Join(", ", distances.Select(d => d.ToString("F2")))}");
    }

    [Fact]
    public void APreviewWithoutAPreviewStepIsRefused()
    {
        var directory = ModelDirectory.Open(BundledModel);
        using var pipeline = directory.LoadTextToImage(ScalarType.Float32, torch.CPU);
        var device = new TorchGenerationDevice(pipeline, directory.Index.Defaults.TextNoise, batchedGuidance: true);
        var row = new StepRow(1, RowKind.Generate, new RowSettings(4, 2), new GenerateInput(Prompt, 3, null));
        device.Start([row]);
        device.Step([row]);
        row.StepsDone++;
        Assert.Throws<InvalidOperationException>(() => device.Preview([row]));
        device.Release(row);
    }
}
