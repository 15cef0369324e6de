using System.Diagnostics;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Tests.Checkpoints;
using FlowTok.Model.Tests.Parity;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.Pipelines;

[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection;

/// <summary>Runs alone: live tensor counts are process-wide.</summary>
[Collection(nameof(SoakCollection))]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Warmup = 20;
    private const int Generations = 200;

    [Fact]
    public void TwoHundredGenerationsKeepTensorCountAndMemoryFlat()
    {
        var set = new ParitySet();
        using var temp = new TempDirectory();
        var dir = set.WriteModelDirectory(temp.Path);
        using var pipeline = dir.LoadTextToImage();
        var options = new GenerationOptions { Steps = dir.Index.Defaults.Steps, GuidanceScale = dir.Index.Defaults.GuidanceScale };
        string[] prompts = ["a red circle on a blue background", "two cats & one dog"];

        long liveAfterWarmup = 0, rssAfterWarmup = 0;
        for (int i = 0; i < Generations; i++)
        {
            // What a server does per request: generate, encode PNGs, drop the tensors.
            using (var images = pipeline.Generate(prompts, [i, i + 1], options))
                Assert.Equal(2, ImageIo.ToPngs(images).Length);
            if (i + 1 == Warmup)
            {
                rssAfterWarmup = Rss();
                liveAfterWarmup = Tensor.TotalCount;
            }
        }
        long rssAtEnd = Rss(), liveAtEnd = Tensor.TotalCount;
        output.WriteLine($"live tensors {liveAfterWarmup} -> {liveAtEnd}; RSS {rssAfterWarmup / 1048576} MB -> {rssAtEnd / 1048576} MB");

        Assert.Equal(liveAfterWarmup, liveAtEnd);
        Assert.True(rssAtEnd - rssAfterWarmup < 48L * 1024 * 1024,
            $"process memory grew by {(rssAtEnd - rssAfterWarmup) / 1048576} MB over {Generations - Warmup} generations");
    }

    /// <summary>Resident memory after a full collection (which also finalizes other tests' leftover tensors).</summary>
    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
