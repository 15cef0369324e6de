using FlowTok.Storage;
using FlowTok.Model.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Models;

/// <summary>Converts prompt encodings between tensors (one batch) and cacheable arrays (one prompt each).</summary>
internal static class PromptRecords
{
    /// <summary>Row <paramref name="row"/> of a batch encoding as arrays (float32 on the CPU).</summary>
    public static PromptEncodingRecord FromRow(PromptEncoding encoding, int row)
    {
        using var scope = torch.NewDisposeScope();
        var states = encoding.ClipStates[row].to(ScalarType.Float32).cpu();
        var mu = encoding.Mu[row].to(ScalarType.Float32).cpu();
        return new PromptEncodingRecord(
            encoding.Ids[row].cpu().data<long>().ToArray(),
            states.data<float>().ToArray(),
            states.shape.Select(d => (int)d).ToArray(),
            mu.data<float>().ToArray(),
            encoding.LogVar[row].to(ScalarType.Float32).cpu().data<float>().ToArray(),
            mu.shape.Select(d => (int)d).ToArray());
    }

    /// <summary>Stacks records into one batch encoding on <paramref name="device"/>.</summary>
    public static PromptEncoding ToBatch(IReadOnlyList<PromptEncodingRecord> records, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var first = records[0];
        long[] statesShape = [records.Count, .. first.ClipStatesShape.Select(d => (long)d)];
        long[] latentShape = [records.Count, .. first.LatentShape.Select(d => (long)d)];
        var ids = torch.tensor(records.SelectMany(r => r.Ids).ToArray(), [records.Count, first.Ids.Length]);
        var states = torch.tensor(records.SelectMany(r => r.ClipStates).ToArray(), statesShape);
        var mu = torch.tensor(records.SelectMany(r => r.Mu).ToArray(), latentShape);
        var logVar = torch.tensor(records.SelectMany(r => r.LogVar).ToArray(), latentShape);
        return new PromptEncoding(ids.to(device), states.to(device), mu.to(device), logVar.to(device)).MoveToOuterDisposeScope();
    }
}
