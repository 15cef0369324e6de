using System.Collections;
using System.IO.Compression;
using System.Reflection;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlowTok.Model.Checkpoints;

/// <summary>
/// <c>torch.save</c> zip archives (<c>archive/data.pkl</c> + one entry per storage), read with TorchSharp.PyBridge's
/// unpickler, which already handles nested dicts and every storage dtype (bf16 included).
/// </summary>
internal static class TorchPickleFile
{
    // torch.save's pre-1.6 format begins with a protocol-2 pickle of the magic number 0x1950a86a20f9469cfc6c.
    static ReadOnlySpan<byte> LegacyMagic => [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    public static bool IsZip(ReadOnlySpan<byte> prefix) => prefix.StartsWith("PK\x03\x04"u8);

    public static bool IsLegacy(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= 2 + LegacyMagic.Length && prefix[0] == 0x80 && prefix[2..].StartsWith(LegacyMagic);

    /// <summary>A zip is a torch checkpoint only if it has the pickle that torch.save writes.</summary>
    public static bool HasDataPickle(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.Entries.Any(IsDataPickle);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    public static Dictionary<string, Tensor> Read(string path, string? nestedKey)
    {
        var root = Unpickle(path, skipTensorRead: false);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var stateDict = NestedStateDict.Select(root, path, nestedKey, v => v is Tensor);
            // Hashtable order is arbitrary; name order makes the result deterministic.
            foreach (var entry in stateDict.Cast<DictionaryEntry>().OrderBy(e => NestedStateDict.KeyOf(e.Key), StringComparer.Ordinal))
                if (entry.Value is Tensor tensor)
                    result[NestedStateDict.KeyOf(entry.Key)] = tensor;
        }
        finally
        {
            // Optimizer state and other state dicts in the file were read too; free them now, not at GC.
            var kept = new HashSet<object>(result.Values, ReferenceEqualityComparer.Instance);
            foreach (var tensor in TensorsIn(root).Where(t => !kept.Contains(t)))
                tensor.Dispose();
        }
        return result;
    }

    /// <summary>
    /// Names, dtypes and shapes without reading tensor data: PyBridge's lazy mode leaves each tensor as an
    /// internal object with public Shape/DType properties. If that internal shape ever changes, fall back to
    /// a full read so Inspect keeps working, only slower.
    /// </summary>
    public static List<CheckpointTensor> Describe(string path, string? nestedKey)
    {
        var root = Unpickle(path, skipTensorRead: true);
        try
        {
            var stateDict = NestedStateDict.Select(root, path, nestedKey, v => v is Tensor || LazyTensor.TryDescribe(v, out _, out _));
            var result = new List<CheckpointTensor>();
            foreach (DictionaryEntry entry in stateDict)
            {
                if (entry.Value is Tensor tensor)
                    result.Add(new CheckpointTensor(NestedStateDict.KeyOf(entry.Key), tensor.dtype, tensor.shape));
                else if (LazyTensor.TryDescribe(entry.Value, out var dtype, out var shape))
                    result.Add(new CheckpointTensor(NestedStateDict.KeyOf(entry.Key), dtype, shape));
            }
            return result;
        }
        catch (InvalidDataException) when (!LazyTensorsFound(root))
        {
            return FullRead(path, nestedKey);
        }
        finally
        {
            foreach (var item in Walk(root))
                LazyTensor.Release(item);
            foreach (var tensor in TensorsIn(root))
                tensor.Dispose();
        }
    }

    static List<CheckpointTensor> FullRead(string path, string? nestedKey)
    {
        using var scope = NewDisposeScope();
        return Read(path, nestedKey).Select(kv => new CheckpointTensor(kv.Key, kv.Value.dtype, kv.Value.shape)).ToList();
    }

    static bool LazyTensorsFound(IDictionary root) => Walk(root).Any(v => LazyTensor.TryDescribe(v, out _, out _));

    static Hashtable Unpickle(string path, bool skipTensorRead)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            // PyBridge insists on leaveOpen when it reads lazily; this method owns the stream either way.
            return PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true, skipTensorRead);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path}: PyTorch checkpoint is truncated ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is not IOException and not OutOfMemoryException)
        {
            // e.g. a pickled nn.Module instead of a state dict, or Python objects the unpickler cannot rebuild.
            throw new InvalidDataException(
                $"{path}: cannot read this PyTorch checkpoint ({ex.Message}). Save a plain state dict: torch.save(model.state_dict(), path)", ex);
        }
        finally
        {
            stream.Dispose();
        }
    }

    static bool IsDataPickle(ZipArchiveEntry entry) => entry.FullName.EndsWith("data.pkl", StringComparison.Ordinal);

    static IEnumerable<Tensor> TensorsIn(object root) => Walk(root).OfType<Tensor>();

    /// <summary>Every object reachable through dicts and lists, each once (pickles can share references).</summary>
    static IEnumerable<object> Walk(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var item = pending.Pop();
            if (!seen.Add(item))
                continue;
            yield return item;
            IEnumerable? children = item switch
            {
                IDictionary d => d.Values,
                string => null,
                IEnumerable e => e,
                _ => null,
            };
            if (children is null)
                continue;
            foreach (var child in children)
                if (child is not null)
                    pending.Push(child);
        }
    }

    /// <summary>Reflection over PyBridge's internal lazy tensor ("TensorConstructorArgs").</summary>
    static class LazyTensor
    {
        public static bool TryDescribe(object? value, out ScalarType dtype, out long[] shape)
        {
            dtype = default;
            shape = [];
            if (value is null || value.GetType().Name != "TensorConstructorArgs")
                return false;
            var type = value.GetType();
            if (type.GetProperty("DType", BindingFlags.Public | BindingFlags.Instance)?.GetValue(value) is not ScalarType d
                || type.GetProperty("Shape", BindingFlags.Public | BindingFlags.Instance)?.GetValue(value) is not long[] s)
                return false;
            (dtype, shape) = (d, s);
            return true;
        }

        public static void Release(object value)
        {
            if (value.GetType().Name == "TensorConstructorArgs"
                && value.GetType().GetProperty("Data", BindingFlags.Public | BindingFlags.Instance)?.GetValue(value) is Stream data)
                data.Dispose();
        }
    }
}
