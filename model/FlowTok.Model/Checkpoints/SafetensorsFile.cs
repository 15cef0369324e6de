using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace FlowTok.Model.Checkpoints;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors): u64 little-endian header size N,
/// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then
/// the tensor bytes (offsets relative to the end of the header). Read by streaming into each tensor.
/// </summary>
internal static class SafetensorsFile
{
    const string MetadataKey = "__metadata__";

    // The reference implementation refuses larger headers; a bigger "length" means the file is something else.
    const ulong MaxHeaderBytes = 100_000_000;

    internal sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    internal sealed record Header(IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);

    /// <summary>Cheap content sniff: a plausible header length followed by a JSON object.</summary>
    public static bool LooksLike(ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (prefix.Length < 9)
            return false;
        var headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        return headerBytes >= 2 && headerBytes <= MaxHeaderBytes
            && (long)headerBytes <= fileLength - 8
            && prefix[8] == (byte)'{';
    }

    public static Header ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path);
        var result = new Dictionary<string, Tensor>(header.Entries.Count);
        try
        {
            // File order, so the reads are sequential.
            foreach (var entry in header.Entries.OrderBy(e => e.Begin))
            {
                var tensor = empty(entry.Shape, entry.DType);
                result.Add(entry.Name, tensor);
                stream.Position = header.DataStart + entry.Begin;
                TensorBytes.Fill(tensor, stream);
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        return result;
    }

    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        if (names.Contains(MetadataKey))
            throw new ArgumentException($"'{MetadataKey}' is reserved by safetensors and cannot name a tensor", nameof(tensors));

        var header = SerializeHeader(names, tensors, metadata);
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        var padding = (8 - header.Length % 8) % 8;

        var fullPath = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + padding));
                stream.Write(length);
                stream.Write(header);
                for (var i = 0; i < padding; i++)
                    stream.WriteByte((byte)' ');

                foreach (var name in names)
                {
                    using var scope = NewDisposeScope();
                    TensorBytes.Write(tensors[name].detach().cpu().contiguous(), stream);
                }
            }
            // Replace atomically so a failed write never leaves a truncated checkpoint behind.
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    static byte[] SerializeHeader(string[] names, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var name in names)
            {
                var tensor = tensors[name];
                var bytes = tensor.numel() * tensor.element_size();
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(tensor.dtype, name));
                json.WriteStartArray("shape");
                foreach (var dim in tensor.shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    static Header ReadHeader(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerBytes > MaxHeaderBytes || (long)headerBytes > stream.Length - 8)
            throw new InvalidDataException($"{path}: safetensors header length {headerBytes} is invalid for a {stream.Length}-byte file");

        var json = new byte[headerBytes];
        stream.ReadExactly(json);
        var dataStart = 8 + (long)headerBytes;
        var dataLength = stream.Length - dataStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals(MetadataKey))
                {
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : item.Value.GetRawText();
                    continue;
                }
                entries.Add(ParseEntry(property, path, dataLength));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header: {ex.Message}", ex);
        }
        return new Header(entries, metadata, dataStart);
    }

    static Entry ParseEntry(JsonProperty property, string path, long dataLength)
    {
        var name = property.Name;
        var value = property.Value;
        var dtype = ParseDType(value.GetProperty("dtype").GetString()!, path, name);
        var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw new InvalidDataException($"{path}: tensor '{name}' has invalid shape or data_offsets");

        var expected = shape.Aggregate(1L, (n, d) => n * d) * StateDict.ElementSize(dtype);
        if (offsets[1] - offsets[0] != expected)
            throw new InvalidDataException(
                $"{path}: tensor '{name}' spans {offsets[1] - offsets[0]} bytes but {StateDict.FormatShape(shape)} {dtype} needs {expected}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    static ScalarType ParseDType(string dtype, string path, string name) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new NotSupportedException($"{path}: tensor '{name}' has dtype {dtype}, which TorchSharp cannot represent"),
    };

    static string DTypeName(ScalarType dtype, string name) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"tensor '{name}' has dtype {dtype}, which safetensors cannot store"),
    };
}
