using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Batching;

/// <summary>
/// Image to text on the loaded model, one step at a time: a row starts from its image's tokens (the image tokenizer's
/// encoder, batched over the joining rows); steps share forwards like generations; finished rows decode to captions.
/// </summary>
internal sealed class TorchCaptionDevice(ImageToTextPipeline pipeline, bool batchedGuidance) : IStepDevice
{
    private readonly EulerGrids grids = new();

    public RowKind Kind => RowKind.Caption;

    public void Start(IReadOnlyList<StepRow> rows)
    {
        var xs = NativeCallGuard.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            var images = torch.stack(rows.Select(r => ImageIo.Load(((CaptionInput)r.Input).Image, pipeline.ImageSize)).ToArray());
            var tokens = pipeline.EncodeImage(images);
            return tokens.split(1).Select(t => t.DetachFromDisposeScope()).ToArray();
        });
        for (int i = 0; i < rows.Count; i++) rows[i].State = new Row(xs[i], grids.For(rows[i].Settings.Steps));
    }

    public void Step(IReadOnlyList<StepRow> rows) => EulerRows.Step(pipeline.Flow, rows, batchedGuidance);

    public IReadOnlyList<object> Finish(IReadOnlyList<StepRow> rows)
    {
        var ids = NativeCallGuard.Run(() =>
        {
            using var scope = torch.NewDisposeScope();
            return pipeline.PredictIds(torch.cat(rows.Select(r => ((Row)r.State!).X).ToArray()));
        });
        return ids.Select(i => (object)pipeline.DecodeText(i)).ToList();
    }

    public void Release(StepRow row)
    {
        (row.State as Row)?.Dispose();
        row.State = null;
    }

    public void Dispose() => pipeline.Dispose();

    private sealed class Row(Tensor x, EulerFlowSampler grid) : EulerRows.IState
    {
        public Tensor X { get; set; } = x;
        public EulerFlowSampler Grid { get; } = grid;
        /// <summary>Captions ask for no previews, so none is ever kept.</summary>
        public Tensor? Estimate { get; set; }

        public void Dispose()
        {
            X.Dispose();
            Estimate?.Dispose();
        }
    }
}
