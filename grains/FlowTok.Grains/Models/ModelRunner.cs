using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FlowTok.Contracts.Models;
using FlowTok.Infrastructure.Storage;
using FlowTok.Model.Loading;
using FlowTok.Model.Nn;
using FlowTok.Model.Pipelines;
using FlowTok.Model.Sampling;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace FlowTok.Grains.Models;

/// <summary>
/// One loaded FlowTok replica on one device with a dynamic batcher. Every tensor operation runs on ONE dedicated
/// thread (TorchSharp dispose scopes are per thread): it loads the checkpoint, then repeatedly takes the oldest queued
/// item plus compatible companions (same kind, steps and guidance) — up to MaxBatchSize, waiting at most MaxQueueDelay
/// for them — and runs them as one batch with the guidance passes batched. Cancelled jobs leave the queue at once and
/// leave a running batch at the next sampler step.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly ModelHostingOptions options;
    private readonly Func<string, bool> isCancelled;
    private readonly ILogger logger;
    private readonly Thread thread;
    private readonly object gate = new();
    private readonly List<WorkItem> queue = [];
    private readonly TaskCompletionSource<ModelDescriptor> loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TextToImagePipeline? textToImage;
    /// <summary>The model's text noise (model_index.json defaults; see <see cref="GenerationOptions.TextNoise"/>).</summary>
    private double textNoise = 1.0;
    private ImageToTextPipeline? imageToText;
    private SimulatedDevice? simulated;
    private bool stopping;
    private long batches, items, busyTicks;
    private int maxBatchSeen;

    public ModelRunner(ModelHostingOptions options, string device, Func<string, bool> isCancelled, ILogger logger)
    {
        if (options.MaxBatchSize < 1) throw new ArgumentException($"Model:MaxBatchSize must be at least 1, got {options.MaxBatchSize}");
        if (options.MaxQueueLength < 1) throw new ArgumentException($"Model:MaxQueueLength must be at least 1, got {options.MaxQueueLength}");
        this.options = options;
        Device = device;
        this.isCancelled = isCancelled;
        this.logger = logger;
        thread = new Thread(Run) { IsBackground = true, Name = $"flowtok-inference-{device}" };
        thread.Start();
    }

    public string Device { get; }

    /// <summary>Completes when the checkpoint is loaded (or faults with the loading error).</summary>
    public Task<ModelDescriptor> Loaded => loaded.Task;

    /// <summary>Called after every batch with its size and duration (metrics).</summary>
    public event Action<int, TimeSpan>? BatchCompleted;

    public int QueueDepth
    {
        get { lock (gate) return queue.Count; }
    }

    public RunnerStats Stats
    {
        get
        {
            lock (gate)
                return new RunnerStats(queue.Count, batches, items, TimeSpan.FromSeconds(busyTicks / (double)Stopwatch.Frequency), maxBatchSeen);
        }
    }

    /// <param name="textNoise">Scale of the text VAE's sampling noise; null is the model's own (its index's default).</param>
    public Task<GeneratedImage> GenerateAsync(string jobId, int index, string prompt, long seed, int steps, double guidance,
        PromptEncodingRecord? cached, ItemProgress? progress = null, double? textNoise = null)
    {
        var item = new GenerateItem(jobId, index, prompt, seed, steps, guidance, cached, progress, textNoise);
        Enqueue(item);
        return item.Done.Task;
    }

    public Task<string> CaptionAsync(string jobId, int index, byte[] image, int steps, double guidance, ItemProgress? progress = null)
    {
        var item = new CaptionItem(jobId, index, image, steps, guidance, progress);
        Enqueue(item);
        return item.Done.Task;
    }

    /// <summary>Drops the job's queued items (their tasks are cancelled); running ones stop at their next step.</summary>
    public void CancelJob(string jobId)
    {
        List<WorkItem> dropped;
        lock (gate)
        {
            dropped = queue.Where(i => i.JobId == jobId).ToList();
            queue.RemoveAll(i => i.JobId == jobId);
        }
        foreach (var item in dropped) item.Cancel();
    }

    private void Enqueue(WorkItem item)
    {
        lock (gate)
        {
            if (stopping) throw new ObjectDisposedException(nameof(ModelRunner), "the model replica is shutting down");
            if (queue.Count >= options.MaxQueueLength)
                throw new ModelQueueFullException($"the model queue on {Device} is full ({options.MaxQueueLength} items)");
            queue.Add(item);
            Monitor.PulseAll(gate);
        }
    }

    private void Run()
    {
        try
        {
            Load();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Loading the model on {Device} failed", Device);
            loaded.TrySetException(e);
            lock (gate) stopping = true;
            return;
        }
        while (TakeBatch() is { } batch)
        {
            long started = Stopwatch.GetTimestamp();
            var results = new List<Action>();
            try
            {
                // One no-GC region for the whole batch: the guards inside (per sampler step) then cost nothing. Starting a
                // region runs a full blocking collection, and per step that was ~40 gen-2 collections a second, which
                // in a serving process with a large heap cost more CPU than the model itself.
                if (simulated is not null) RunSimulated(simulated, batch, results);
                else
                    NativeCallGuard.Run(() =>
                    {
                        if (batch[0] is GenerateItem) RunGeneration(batch.Cast<GenerateItem>().ToList(), results);
                        else RunCaptions(batch.Cast<CaptionItem>().ToList(), results);
                        return 0;
                    });
            }
            catch (Exception e)
            {
                logger.LogError(e, "A batch of {Count} failed on {Device}", batch.Count, Device);
                foreach (var item in batch) item.Fail(e);
            }
            long elapsed = Stopwatch.GetTimestamp() - started;
            lock (gate)
            {
                batches++;
                items += batch.Count;
                busyTicks += elapsed;
                maxBatchSeen = Math.Max(maxBatchSeen, batch.Count);
            }
            BatchCompleted?.Invoke(batch.Count, Stopwatch.GetElapsedTime(started));
            // Results are handed out after the counters moved, so a caller who got one sees its batch counted.
            foreach (var complete in results) complete();
        }
        textToImage?.Dispose();
        imageToText?.Dispose();
    }

    private void Load()
    {
        if (SimulatedDeviceOptions.IsSimulated(Device))
        {
            simulated = new SimulatedDevice(options.Simulated);
            logger.LogInformation("Simulated device {Device}: {Version}", Device, simulated.Descriptor.Version);
            loaded.TrySetResult(simulated.Descriptor);
            return;
        }
        if (options.IntraOpThreads > 0) torch.set_num_threads(options.IntraOpThreads);
        var root = options.ResolvePath();
        var directory = ModelDirectory.Open(root);
        var device = ParseDevice(Device);
        var dtype = ComputePrecision.Resolve(options.Dtype, device);
        var watch = Stopwatch.StartNew();
        textToImage = directory.LoadTextToImage(dtype, device);
        textNoise = directory.Index.Defaults.TextNoise;
        if (directory.Index.HasImageToText) imageToText = directory.LoadImageToText(dtype, device);
        var descriptor = new ModelDescriptor
        {
            Name = directory.Index.Name,
            Version = VersionOf(directory),
            ImageSize = textToImage.ImageSize,
            TextToImage = true,
            ImageToText = imageToText is not null,
        };
        logger.LogInformation("Loaded {Name} ({Version}, {Size}px, image-to-text: {I2T}) from {Root} on {Device} as {Dtype} in {Seconds:F1} s",
            descriptor.Name, descriptor.Version, descriptor.ImageSize, descriptor.ImageToText, root, Device, ComputePrecision.Describe(options.Dtype, device), watch.Elapsed.TotalSeconds);
        loaded.TrySetResult(descriptor);
    }

    /// <summary>Waits for the oldest item and its companions; null when stopping.</summary>
    private List<WorkItem>? TakeBatch()
    {
        lock (gate)
        {
            while (true)
            {
                while (queue.Count == 0 && !stopping) Monitor.Wait(gate);
                if (stopping) return null;
                var first = queue[0];
                var deadline = first.EnqueuedAt + (long)(options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
                while (queue.Count > 0 && queue[0] == first && !stopping
                       && queue.Count(i => i.BatchKey == first.BatchKey) < options.MaxBatchSize)
                {
                    long remaining = deadline - Stopwatch.GetTimestamp();
                    if (remaining <= 0) break;
                    Monitor.Wait(gate, TimeSpan.FromSeconds(remaining / (double)Stopwatch.Frequency));
                }
                if (stopping) return null;
                if (queue.Count == 0 || queue[0] != first) continue; // the head was cancelled meanwhile
                var batch = queue.Where(i => i.BatchKey == first.BatchKey).Take(options.MaxBatchSize).ToList();
                foreach (var item in batch) queue.Remove(item);
                return batch;
            }
        }
    }

    private void RunGeneration(List<GenerateItem> batch, List<Action> results)
    {
        var pipeline = textToImage!;
        batch = DropCancelled(batch);
        if (batch.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        var newRecords = new PromptEncodingRecord?[batch.Count];
        var missing = Enumerable.Range(0, batch.Count).Where(i => batch[i].Cached is null).ToArray();
        if (missing.Length > 0)
        {
            using var fresh = NativeCallGuard.Run(() => pipeline.EncodePrompt(missing.Select(i => batch[i].Prompt).ToList()));
            for (int k = 0; k < missing.Length; k++) newRecords[missing[k]] = PromptRecords.FromRow(fresh, k);
        }
        var records = batch.Select((item, i) => item.Cached ?? newRecords[i]!).ToList();
        using var encoding = PromptRecords.ToBatch(records, pipeline.Device);
        var sampling = Options(batch[0]); // one batch key: the same steps, guidance and text noise for every item
        var zText = pipeline.PrepareLatents(encoding, batch.Select(i => i.Seed).ToList(), sampling.TextNoise);
        var alive = Enumerable.Range(0, batch.Count).ToList();
        var zImage = pipeline.Sample(zText, sampling, keepRows: p => KeepRows(batch, alive, p));
        if (alive.Count == 0) return;
        using var rows = torch.tensor(alive.Select(i => (long)i).ToArray(), device: pipeline.Device);
        var images = NativeCallGuard.Run(() => pipeline.Decode(zImage, encoding.ClipStates.index_select(0, rows)));
        var pngs = ImageIo.ToPngs(images);
        for (int k = 0; k < alive.Count; k++)
        {
            var (item, result) = (batch[alive[k]], new GeneratedImage(pngs[k], newRecords[alive[k]]));
            results.Add(() => item.Done.TrySetResult(result));
        }
    }

    private void RunCaptions(List<CaptionItem> batch, List<Action> results)
    {
        var pipeline = imageToText ?? throw new NotSupportedException("this model has no image-to-text components");
        batch = DropCancelled(batch);
        var decoded = new List<CaptionItem>();
        var tensors = new List<Tensor>();
        foreach (var item in batch)
        {
            try
            {
                tensors.Add(ImageIo.Load(item.Image, pipeline.ImageSize));
                decoded.Add(item);
            }
            catch (Exception e) when (e is InvalidImageException or ArgumentException)
            {
                item.Fail(e);
            }
        }
        if (decoded.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        var images = torch.stack(tensors);
        foreach (var t in tensors) t.Dispose();
        var zImage = NativeCallGuard.Run(() => pipeline.EncodeImage(images));
        var alive = Enumerable.Range(0, decoded.Count).ToList();
        var zText = pipeline.Sample(zImage, Options(decoded[0]), keepRows: p => KeepRows(decoded, alive, p));
        if (alive.Count == 0) return;
        var ids = pipeline.PredictIds(zText);
        for (int k = 0; k < alive.Count; k++)
        {
            var (item, caption) = (decoded[alive[k]], pipeline.DecodeText(ids[k]));
            results.Add(() => item.Done.TrySetResult(caption));
        }
    }

    /// <summary>A batch on a simulated device: the configured time passes step by step (progress, cancellation by row).</summary>
    private void RunSimulated(SimulatedDevice device, List<WorkItem> batch, List<Action> results)
    {
        batch = DropCancelled(batch);
        if (batch.Count == 0) return;
        var alive = Enumerable.Range(0, batch.Count).ToList();
        int steps = batch[0].Steps;
        var stepTime = device.StepTime(batch.Count, steps);
        for (int step = 1; step <= steps && alive.Count > 0; step++)
        {
            Thread.Sleep(stepTime);
            KeepRows(batch, alive, new SamplingProgress(step, steps));
        }
        foreach (var item in alive.Select(i => batch[i]))
            results.Add(item switch
            {
                GenerateItem g => () => g.Done.TrySetResult(new GeneratedImage(device.Image(g.Seed), null)),
                CaptionItem c => () => c.Done.TrySetResult(SimulatedDevice.Caption(c.Image)),
                _ => throw new InvalidOperationException($"unknown work item {item.GetType().Name}"),
            });
    }

    private GenerationOptions Options(WorkItem item) =>
        new() { Steps = item.Steps, GuidanceScale = item.Guidance, TextNoise = item.TextNoise ?? textNoise, BatchedGuidance = options.BatchedGuidance };

    private List<T> DropCancelled<T>(List<T> batch) where T : WorkItem
    {
        var kept = new List<T>(batch.Count);
        foreach (var item in batch)
            if (isCancelled(item.JobId)) item.Cancel();
            else kept.Add(item);
        return kept;
    }

    /// <summary>After each step: reports progress and removes rows of cancelled jobs (null = keep every row).</summary>
    private long[]? KeepRows<T>(List<T> batch, List<int> alive, SamplingProgress progress) where T : WorkItem
    {
        foreach (var i in alive) batch[i].Progress?.Invoke(progress.Step, progress.Steps);
        if (progress.Step == progress.Steps || !alive.Any(i => isCancelled(batch[i].JobId))) return null;
        var keep = new List<long>();
        var stillAlive = new List<int>();
        for (int row = 0; row < alive.Count; row++)
        {
            var item = batch[alive[row]];
            if (isCancelled(item.JobId)) item.Cancel();
            else
            {
                keep.Add(row);
                stillAlive.Add(alive[row]);
            }
        }
        alive.Clear();
        alive.AddRange(stillAlive);
        return keep.ToArray();
    }

    private static Device ParseDevice(string device) =>
        device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase) ? torch.CPU : torch.device(device);

    /// <summary>A short hash of the model's index, component configs and weight sizes: caches are namespaced by it.</summary>
    private static string VersionOf(ModelDirectory directory)
    {
        var text = new StringBuilder(File.ReadAllText(Path.Combine(directory.Root, ModelIndex.FileName)));
        foreach (var role in directory.Index.Components.Keys.Order())
        {
            var config = Path.Combine(directory.ComponentFolder(role), ModelDirectory.ConfigFileName);
            if (File.Exists(config)) text.Append(File.ReadAllText(config));
            if (role != ModelIndex.Roles.Tokenizer) text.Append(new FileInfo(directory.WeightsPath(role)).Length);
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return $"{directory.Index.Name}@{hash[..12]}";
    }

    public void Dispose()
    {
        List<WorkItem> pending;
        lock (gate)
        {
            stopping = true;
            pending = [.. queue];
            queue.Clear();
            Monitor.PulseAll(gate);
        }
        foreach (var item in pending) item.Fail(new ObjectDisposedException(nameof(ModelRunner), "the model replica shut down before this item ran"));
        thread.Join(TimeSpan.FromSeconds(30));
    }
}

/// <summary>The replica's bounded queue is full: retry later (the gateway answers 429).</summary>
public sealed class ModelQueueFullException(string message) : Exception(message);
