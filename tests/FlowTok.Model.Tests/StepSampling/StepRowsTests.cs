using FlowTok.Model.Flow;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Tests.StepSampling;

/// <summary>
/// Per-row guided Euler steps (<see cref="GuidedFlow.StepRows"/>) on a tiny random flow transformer: the same numbers as
/// the whole-batch sampler for uniform rows, and each row's own time, guidance and step size when rows differ.
/// </summary>
public sealed class StepRowsTests
{
    private static FlowTransformer TinyFlow()
    {
        torch.manual_seed(3);
        var flow = new FlowTransformer(new FlowTransformerConfig { Hidden = 32, Depth = 2, Heads = 2, Tokens = 8, Channels = 4, FrequencyEmbeddingSize = 16 });
        // adaLN-Zero starts at a zero velocity; random weights make every input matter.
        using (torch.no_grad())
            foreach (var p in flow.parameters())
                if (p.requires_grad) p.normal_(0, 0.2);
        flow.eval();
        return flow;
    }

    private static Tensor Full(long rows, float value) => torch.full(rows, value, dtype: ScalarType.Float32);

    [Fact]
    public void UniformRowsStepLikeTheWholeBatchSampler()
    {
        using var flow = TinyFlow();
        using var x0 = torch.randn(3, 8, 4);
        using var reference = GuidedFlow.Sample(flow, x0, steps: 6, guidance: 2.5, batchedGuidance: true, progress: null, CancellationToken.None);
        var grid = new EulerFlowSampler();
        grid.SetTimesteps(6);
        var x = x0.clone();
        for (int i = 0; i < 6; i++)
        {
            var next = GuidedFlow.StepRows(flow, x, Full(3, grid.Timesteps[i]), Full(3, 2.5f), Full(3, grid.StepSizes[i]));
            x.Dispose();
            x = next;
        }
        Assert.Equal(0.0, (x - reference).abs().max().item<float>());
    }

    [Fact]
    public void EachRowTakesItsOwnTimeGuidanceAndStepSize()
    {
        using var flow = TinyFlow();
        using var x = torch.randn(3, 8, 4);
        using var t = torch.tensor(new[] { 0.0f, 0.4f, 0.9f });
        using var guidance = torch.tensor(new[] { 0.0f, 1.5f, 4.0f });
        using var dt = torch.tensor(new[] { 0.05f, 0.1f, 0.2f });
        using var together = GuidedFlow.StepRows(flow, x, t, guidance, dt);
        for (int row = 0; row < 3; row++)
        {
            using var alone = GuidedFlow.StepRows(flow, x[row].unsqueeze(0), t[row].unsqueeze(0), guidance[row].unsqueeze(0), dt[row].unsqueeze(0));
            Assert.True((together[row] - alone[0]).abs().max().item<float>() <= 1e-5f, $"row {row} differs from the same row stepped alone");
        }
        // The guidance is the row's: another scale gives another step.
        using var otherGuidance = GuidedFlow.StepRows(flow, x, t, torch.tensor(new[] { 0.0f, 1.5f, 1.0f }), dt);
        Assert.True((together[2] - otherGuidance[2]).abs().max().item<float>() > 1e-3f);
        Assert.Equal(0.0f, (together[0] - otherGuidance[0]).abs().max().item<float>());
    }
}
