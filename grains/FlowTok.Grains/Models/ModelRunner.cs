using FlowTok.Contracts.Models;
using FlowTok.Grains.Batching;
using FlowTok.Storage;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Models;

/// <summary>
/// One FlowTok replica on one device, composed of plain parts: a <see cref="ReplicaQueue"/> (the fair scheduler: which
/// queued item starts next by tenant weights, priorities, deadlines), a <see cref="StepLoop"/> on ONE dedicated thread
/// (TorchSharp dispose scopes are per thread) that drives the step batcher and the device's backends (<see cref="IStepDevice"/>,
/// one per task kind, loaded by <see cref="StepDevices"/>) one sampler step at a time, and a <see cref="ReplicaTally"/> of
/// what it did. Callers queue items and await their results; a cancelled job's items leave the queue at once and the
/// device at their next step.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly ModelHostingOptions options;
    private readonly Func<string, bool> isCancelled;
    private readonly ILogger logger;
    private readonly Thread thread;
    private readonly ReplicaQueue queue;
    private readonly StepBatcher batcher;
    private readonly ReplicaTally tally = new();
    private readonly ReplicaEvents events = new();
    private readonly TaskCompletionSource<ModelDescriptor> loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextRowId;

    public ModelRunner(ModelHostingOptions options, string device, Func<string, bool> isCancelled, ILogger logger)
    {
        if (options.MaxBatchSize < 1) throw new ArgumentException($"Model:MaxBatchSize must be at least 1, got {options.MaxBatchSize}");
        if (options.MaxQueueLength < 1) throw new ArgumentException($"Model:MaxQueueLength must be at least 1, got {options.MaxQueueLength}");
        this.options = options;
        Device = device;
        this.isCancelled = isCancelled;
        this.logger = logger;
        queue = new ReplicaQueue(options, device);
        batcher = new StepBatcher(options.MaxBatchSize, options.Batching);
        thread = new Thread(Run) { IsBackground = true, Name = $"flowtok-inference-{device}" };
        thread.Start();
    }

    public string Device { get; }

    /// <summary>Completes when the checkpoint is loaded (or faults with the loading error).</summary>
    public Task<ModelDescriptor> Loaded => loaded.Task;

    /// <summary>After every step: the rows it held and how long it took (metrics).</summary>
    public event Action<int, TimeSpan>? BatchCompleted
    {
        add => events.BatchCompleted += value;
        remove => events.BatchCompleted -= value;
    }

    /// <summary>Device seconds charged to a tenant (a step's measured time split among its rows; encoding and decoding too).</summary>
    public event Action<string, double>? DeviceTimeCharged
    {
        add => events.DeviceTimeCharged += value;
        remove => events.DeviceTimeCharged -= value;
    }

    /// <summary>An item started on the device after waiting this long in the replica's queue.</summary>
    public event Action<string, TimeSpan>? ItemStarted
    {
        add => events.ItemStarted += value;
        remove => events.ItemStarted -= value;
    }

    /// <summary>An item ended: tenant, kind ("generation", "caption"), outcome ("succeeded", "failed", "cancelled", "deadline").</summary>
    public event Action<string, string, string>? ItemEnded
    {
        add => events.ItemEnded += value;
        remove => events.ItemEnded -= value;
    }

    public int QueueDepth => queue.Count;

    /// <summary>Rows in the device's batch now (between steps: the rows of the last one), of at most <see cref="MaxBatchSize"/>.</summary>
    public int CurrentRows => batcher.Count;

    public int MaxBatchSize => options.MaxBatchSize;

    /// <summary>Device seconds the queued items are expected to cost (the work a scaler weighs).</summary>
    public double QueuedDeviceSeconds => queue.QueuedDeviceSeconds;

    /// <summary>1 + the items queued before the job's first waiting item here; null when none of its items waits here.</summary>
    public int? QueuePositionOf(string jobId) => queue.PositionOf(jobId);

    public RunnerStats Stats
    {
        get
        {
            var (deadlineDrops, preemptions) = queue.Counts;
            return tally.Stats(queue.Count, deadlineDrops, preemptions);
        }
    }

    /// <summary>Per-tenant use of this replica since it started.</summary>
    public IReadOnlyList<TenantUsageRecord> Usage() => tally.Usage(queue.Standings());

    /// <param name="textNoise">Scale of the text VAE's sampling noise; null is the model's own (its index's default).</param>
    /// <param name="origin">Tenant, weight, priority and deadline (default: an anonymous interactive item without deadline).</param>
    /// <param name="previews">Previews of the image to make at evenly spaced steps (<see cref="PreviewSchedule"/>), each handed to <paramref name="preview"/>.</param>
    public Task<GeneratedImage> GenerateAsync(string jobId, int index, string prompt, long seed, int steps, double guidance,
        PromptEncodingRecord? cached, ItemProgress? progress = null, double? textNoise = null, WorkOrigin? origin = null,
        int previews = 0, ItemPreview? preview = null)
    {
        var settings = new RowSettings(steps, guidance, textNoise, preview is null ? 0 : previews);
        var row = new StepRow(Interlocked.Increment(ref nextRowId), RowKind.Generate, settings, new GenerateInput(prompt, seed, cached));
        var item = new WorkItem<GeneratedImage>(jobId, index, row, origin ?? WorkOrigin.Anonymous, progress, preview);
        Enqueue(item);
        return item.Done.Task;
    }

    public Task<string> CaptionAsync(string jobId, int index, byte[] image, int steps, double guidance, ItemProgress? progress = null,
        WorkOrigin? origin = null)
    {
        var row = new StepRow(Interlocked.Increment(ref nextRowId), RowKind.Caption, new RowSettings(steps, guidance), new CaptionInput(image));
        var item = new WorkItem<string>(jobId, index, row, origin ?? WorkOrigin.Anonymous, progress);
        Enqueue(item);
        return item.Done.Task;
    }

    /// <summary>Queues an item; its span (in the caller's trace) starts here and ends when it does.</summary>
    private void Enqueue(WorkItem item)
    {
        ItemTracing.Begin(item, Device, loaded.Task.IsCompletedSuccessfully ? loaded.Task.Result : null);
        try
        {
            queue.Add(item);
        }
        catch (Exception e)
        {
            ItemTracing.End(item, e is ModelQueueFullException ? "refused" : "failed");
            throw;
        }
    }

    /// <summary>Drops the job's queued items (their tasks are cancelled); running ones stop at their next step.</summary>
    public void CancelJob(string jobId)
    {
        foreach (var work in queue.RemoveJob(jobId)) events.Ended(work.Item, "cancelled", i => i.Cancel());
    }

    private void Run()
    {
        StepDevices devices;
        try
        {
            devices = StepDevices.Load(options, Device, logger);
            queue.RowStepSeconds = devices.RowStepSecondsGuess;
            loaded.TrySetResult(devices.Model);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Loading the model on {Device} failed", Device);
            loaded.TrySetException(e);
            queue.Close();
            return;
        }
        new StepLoop(devices, batcher, queue, tally, events, isCancelled, Device, logger).Run();
    }

    public void Dispose()
    {
        foreach (var work in queue.Stop())
            events.Ended(work.Item, "failed", i => i.Fail(new ObjectDisposedException(nameof(ModelRunner), "the model replica shut down before this item ran")));
        thread.Join(TimeSpan.FromSeconds(30));
    }
}

/// <summary>The replica's bounded queue (or the tenant's share of it) is full: retry later (the gateway answers 429).</summary>
public sealed class ModelQueueFullException(string message, TimeSpan retryAfter) : Exception(message)
{
    public ModelQueueFullException(string message) : this(message, TimeSpan.FromSeconds(1))
    {
    }

    public TimeSpan RetryAfter { get; } = retryAfter;
}
