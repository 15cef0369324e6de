using static TorchSharp.torch;

namespace FlowTok.Model.Checkpoints;

/// <summary>
/// Streams a tensor's raw bytes to or from a file in chunks: <see cref="Tensor.bytes"/> is a Span, so one
/// call cannot cover a tensor over 2 GB, and chunking also avoids a managed copy of the whole tensor.
/// </summary>
internal static class TensorBytes
{
    internal const long ChunkBytes = 16L << 20;

    delegate void SpanAction(Span<byte> span);

    /// <summary>Fills a contiguous CPU tensor with exactly its byte size read from <paramref name="source"/>.</summary>
    public static void Fill(Tensor destination, Stream source) =>
        ForEachChunk(destination, source.ReadExactly);

    /// <summary>Writes a contiguous CPU tensor's bytes to <paramref name="destination"/>.</summary>
    public static void Write(Tensor tensor, Stream destination) =>
        ForEachChunk(tensor, span => destination.Write(span));

    static void ForEachChunk(Tensor tensor, SpanAction action)
    {
        if (tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("raw byte access needs a contiguous CPU tensor", nameof(tensor));

        var count = tensor.numel();
        if (count == 0)
            return;

        using var flat = tensor.reshape(-1);
        var step = Math.Max(1, ChunkBytes / tensor.element_size());
        for (long start = 0; start < count; start += step)
        {
            using var part = flat.narrow(0, start, Math.Min(step, count - start));
            action(part.bytes);
        }
    }
}
