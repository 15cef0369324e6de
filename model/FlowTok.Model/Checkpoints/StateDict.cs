using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Model.Checkpoints;

/// <summary>
/// Checkpoint I/O: read safetensors and <c>torch.save</c> zip pickles (format decided from the bytes), write
/// safetensors that Python's <c>safetensors</c> reads, load by name into a module with a report that names
/// every mismatch, inspect a file cheaply, and convert pickles to safetensors.
/// </summary>
public static class StateDict
{
    /// <summary>Which format <paramref name="path"/> holds, decided from its content, never its extension.</summary>
    public static CheckpointFormat DetectFormat(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"checkpoint not found: {path}", path);

        Span<byte> prefix = stackalloc byte[16];
        long length;
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            length = stream.Length;
            read = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        }
        prefix = prefix[..read];

        if (TorchPickleFile.IsZip(prefix))
            return TorchPickleFile.HasDataPickle(path) ? CheckpointFormat.TorchZipPickle : CheckpointFormat.Unknown;
        if (TorchPickleFile.IsLegacy(prefix))
            return CheckpointFormat.LegacyTorchPickle;
        if (SafetensorsFile.LooksLike(prefix, length))
            return CheckpointFormat.Safetensors;
        return CheckpointFormat.Unknown;
    }

    /// <summary>
    /// Every tensor of the checkpoint by state-dict name, on the CPU in the stored dtype. A <c>torch.save</c>
    /// file holding e.g. <c>{"model": state_dict, "epoch": 3}</c> is unwrapped; when it holds several state
    /// dicts (say "model" and "ema"), pass <paramref name="nestedKey"/> to choose. The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path, string? nestedKey = null) =>
        RequireSupported(path) switch
        {
            CheckpointFormat.Safetensors => nestedKey is null
                ? SafetensorsFile.Read(path)
                : throw new ArgumentException($"{path} is safetensors, which is flat: there is no nested '{nestedKey}'", nameof(nestedKey)),
            _ => TorchPickleFile.Read(path, nestedKey),
        };

    /// <summary>
    /// Writes a spec-conformant safetensors file: keys sorted, data 8-byte aligned and contiguous, optional
    /// string metadata under "__metadata__". The file is replaced atomically.
    /// </summary>
    public static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsFile.Write(path, tensors, metadata);

    /// <summary>
    /// Copies each tensor into the module's parameter or buffer of the same <c>state_dict()</c> name, converting
    /// to that parameter's dtype and device, without recording gradients. Strict mode loads nothing and throws
    /// <see cref="CheckpointMismatchException"/> unless names and shapes match exactly; otherwise loads what matches.
    /// </summary>
    public static LoadReport LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, bool strict = true)
    {
        var target = module.state_dict();
        var loaded = new List<string>();
        var missing = new List<string>();
        var misShaped = new List<ShapeMismatch>();
        foreach (var (name, parameter) in target.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!tensors.TryGetValue(name, out var source))
                missing.Add(name);
            else if (!source.shape.SequenceEqual(parameter.shape))
                misShaped.Add(new ShapeMismatch(name, source.shape, parameter.shape));
            else
                loaded.Add(name);
        }
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();

        var report = new LoadReport(DisplayName(module), loaded, missing, unexpected, misShaped);
        if (strict && !report.IsExactMatch)
            throw new CheckpointMismatchException(report);

        using (no_grad())
        {
            // copy_ casts dtype (fp32 <-> bf16) and moves across devices in one step.
            foreach (var name in loaded)
                target[name].copy_(tensors[name]);
        }
        return report;
    }

    /// <summary>Reads a checkpoint file and loads it into <paramref name="module"/> (<see cref="LoadInto"/>), disposing the
    /// file's tensors afterwards: the one way a module takes its weights from a file.</summary>
    public static LoadReport LoadFile(nn.Module module, string path, bool strict = true)
    {
        var tensors = Read(path);
        try
        {
            return LoadInto(module, tensors, strict);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Tensor names, dtypes and shapes, totals, metadata and a guess of the component. Reads only the header of a
    /// safetensors file; a pickle is unpickled without reading tensor data.
    /// </summary>
    public static CheckpointInfo Inspect(string path, string? nestedKey = null)
    {
        var format = RequireSupported(path);
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        List<CheckpointTensor> tensors;
        if (format == CheckpointFormat.Safetensors)
        {
            var header = SafetensorsFile.ReadHeader(path);
            tensors = header.Entries.Select(e => new CheckpointTensor(e.Name, e.DType, e.Shape)).ToList();
            metadata = header.Metadata;
        }
        else
        {
            tensors = TorchPickleFile.Describe(path, nestedKey);
        }

        tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new CheckpointInfo(path, format, tensors, CheckpointComponent.Guess(tensors.Select(t => t.Name)), metadata);
    }

    /// <summary>
    /// New tensors with every floating-point tensor cast to <paramref name="dtype"/>; integer and bool tensors
    /// (ids, masks, counters) keep their dtype. The input is untouched; the caller owns both dictionaries.
    /// </summary>
    public static Dictionary<string, Tensor> ConvertDtype(IReadOnlyDictionary<string, Tensor> tensors, ScalarType dtype)
    {
        if (!is_floating_point(dtype))
            throw new ArgumentException($"can only convert to a floating-point dtype, not {dtype}", nameof(dtype));
        return tensors.ToDictionary(
            kv => kv.Key,
            kv => kv.Value.is_floating_point() ? kv.Value.detach().to(dtype) : kv.Value.detach());
    }

    /// <summary>
    /// Rewrites any supported checkpoint (e.g. a published <c>.pth</c>) as safetensors, optionally casting
    /// floating-point tensors to <paramref name="dtype"/>; returns what was written. Backs <c>flowtok convert</c>.
    /// </summary>
    public static CheckpointInfo Convert(string input, string outputSafetensors, ScalarType? dtype = null, string? nestedKey = null)
    {
        using (NewDisposeScope())
        {
            var tensors = Read(input, nestedKey);
            var converted = dtype is { } target ? ConvertDtype(tensors, target) : tensors;
            // "format: pt" is what Hugging Face loaders expect in safetensors metadata.
            WriteSafetensors(outputSafetensors, converted, new Dictionary<string, string>
            {
                ["format"] = "pt",
                ["source"] = Path.GetFileName(input),
            });
        }
        return Inspect(outputSafetensors);
    }

    // Native modules report e.g. "torch::nn::SequentialImpl"; custom modules the name given to the base constructor.
    static string DisplayName(nn.Module module)
    {
        var name = module.GetName();
        if (string.IsNullOrEmpty(name))
            return module.GetType().Name;
        var separator = name.LastIndexOf("::", StringComparison.Ordinal);
        if (separator < 0)
            return name;
        name = name[(separator + 2)..];
        return name.EndsWith("Impl", StringComparison.Ordinal) ? name[..^"Impl".Length] : name;
    }

    internal static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(",", shape)}]";

    internal static long ElementSize(ScalarType dtype) => dtype.ElementSize();

    static CheckpointFormat RequireSupported(string path) => DetectFormat(path) switch
    {
        CheckpointFormat.Unknown =>
            throw new InvalidDataException($"{path} is neither safetensors nor a PyTorch zip checkpoint"),
        CheckpointFormat.LegacyTorchPickle =>
            throw new NotSupportedException(
                $"{path} uses torch.save's legacy (pre-1.6, non-zip) format, which is not supported; re-save it in Python with "
                + "torch.save(torch.load(path), new_path, _use_new_zipfile_serialization=True)"),
        var format => format,
    };
}
