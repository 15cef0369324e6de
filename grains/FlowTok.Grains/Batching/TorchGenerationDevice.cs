using FlowTok.Grains.Models;
using FlowTok.Storage;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Batching;

/// <summary>
/// Text to image on the loaded model, one step at a time: a row starts from its prompt's encoding (cached, or CLIP and the
/// text VAE, batched over the joining rows) and its seed; every step all rows, each at its own flow time, with its own
/// guidance and step size, share one forward (<see cref="GuidedFlow.StepRows"/>); finished rows are decoded together.
/// Tensors live outside dispose scopes in the rows' state and are freed when a row is released.
/// </summary>
internal sealed class TorchGenerationDevice(TextToImagePipeline pipeline, double modelTextNoise, bool batchedGuidance) : IStepDevice
{
    private readonly EulerGrids grids = new();

    public RowKind Kind => RowKind.Generate;

    public void Start(IReadOnlyList<StepRow> rows)
    {
        var inputs = rows.Select(r => (GenerateInput)r.Input).ToList();
        var fresh = new PromptEncodingRecord?[rows.Count];
        var missing = Enumerable.Range(0, rows.Count).Where(i => inputs[i].Cached is null).ToArray();
        if (missing.Length > 0)
            NativeCallGuard.Run(() =>
            {
                using var encoded = pipeline.EncodePrompt(missing.Select(i => inputs[i].Prompt).ToList());
                for (int k = 0; k < missing.Length; k++) fresh[missing[k]] = PromptRecords.FromRow(encoded, k);
                return 0;
            });
        var states = new Row[rows.Count];
        try
        {
            for (int i = 0; i < rows.Count; i++)
            {
                using var scope = torch.NewDisposeScope();
                // Through the cacheable record, like a cache hit, so a prompt gives the same image hit or miss.
                var record = inputs[i].Cached ?? fresh[i]!;
                var encoding = PromptRecords.ToBatch([record], pipeline.Device);
                var x = pipeline.PrepareLatents(encoding, [inputs[i].Seed], rows[i].Settings.TextNoise ?? modelTextNoise);
                states[i] = new Row(x.DetachFromDisposeScope(), encoding.ClipStates.DetachFromDisposeScope(), grids.For(rows[i].Settings.Steps), fresh[i]);
            }
        }
        catch
        {
            foreach (var state in states) state?.Dispose();
            throw;
        }
        for (int i = 0; i < rows.Count; i++) rows[i].State = states[i];
    }

    public void Step(IReadOnlyList<StepRow> rows) => EulerRows.Step(pipeline.Flow, rows, batchedGuidance);

    public IReadOnlyList<object> Finish(IReadOnlyList<StepRow> rows)
    {
        var states = rows.Select(r => (Row)r.State!).ToList();
        var pngs = Decode(states, s => s.X);
        return states.Select((s, i) => (object)new GeneratedImage(pngs[i], s.NewRecord)).ToList();
    }

    /// <summary>Decodes the rows' estimates of their final latents (<see cref="EulerRows.IState.Estimate"/>) like finished rows.</summary>
    public IReadOnlyList<byte[]> Preview(IReadOnlyList<StepRow> rows)
    {
        var states = rows.Select(r => (Row)r.State!).ToList();
        if (states.FirstOrDefault(s => s.Estimate is null) is not null)
            throw new InvalidOperationException("a row has no estimate to preview: its last step was not followed by a preview");
        var pngs = Decode(states, s => s.Estimate!);
        foreach (var state in states) state.DropEstimate();
        return pngs;
    }

    /// <summary>Decodes the rows' <paramref name="latents"/> (with their text guidance) to PNGs in one batch.</summary>
    private byte[][] Decode(List<Row> states, Func<Row, Tensor> latents) => NativeCallGuard.Run(() =>
    {
        using var scope = torch.NewDisposeScope();
        var images = pipeline.Decode(torch.cat(states.Select(latents).ToArray()), torch.cat(states.Select(s => s.ClipStates).ToArray()));
        return ImageIo.ToPngs(images);
    });

    public void Release(StepRow row)
    {
        (row.State as Row)?.Dispose();
        row.State = null;
    }

    public void Dispose() => pipeline.Dispose();

    private sealed class Row(Tensor x, Tensor clipStates, EulerFlowSampler grid, PromptEncodingRecord? newRecord) : EulerRows.IState
    {
        public Tensor X { get; set; } = x;
        public Tensor ClipStates { get; } = clipStates;
        public EulerFlowSampler Grid { get; } = grid;
        public PromptEncodingRecord? NewRecord { get; } = newRecord;
        public Tensor? Estimate { get; set; }

        public void DropEstimate()
        {
            Estimate?.Dispose();
            Estimate = null;
        }

        public void Dispose()
        {
            X.Dispose();
            ClipStates.Dispose();
            DropEstimate();
        }
    }
}
