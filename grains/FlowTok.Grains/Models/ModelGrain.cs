using System.Diagnostics;
using FlowTok.Contracts.Images;
using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Placement;
using FlowTok.Grains.Scheduling;
using FlowTok.Infrastructure.Observability;
using FlowTok.Storage;
using FlowTok.Model.Pipelines;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FlowTok.Grains.Models;

/// <summary>
/// One FlowTok replica per compute device, pinned to the silo that owns the device (<see cref="DevicePlacement"/>),
/// never collected while the silo runs. Calls interleave: each waits on the replica's batcher, so concurrent calls
/// form batches. Prompt encodings come from and go to the prompt cache; images go to the file store, callers get ids.
/// </summary>
[DevicePlacement, KeepAlive, Reentrant]
public sealed class ModelGrain(
    LocalModels local,
    IGrainFactory grains,
    IFileStore files,
    IPromptCache prompts,
    ICancellationSignals cancellations,
    IModelRegistry registry,
    PlatformMetrics metrics,
    ILogger<ModelGrain> logger) : Grain, IModelGrain
{
    public static readonly TimeSpan AnnouncementInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan UsageInterval = TimeSpan.FromSeconds(5);

    private ModelRunner? runner;
    private PromptMemo? memo;
    private ModelDescriptor? model;
    private long promptHits, promptMisses;
    private IDisposable? queueGauge;
    private IDisposable? replicaGauges;
    private readonly UsageMeter usage = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (_, device) = ModelGrainKey.Parse(this.GetPrimaryKeyString());
        var hosted = local.OnDevice(device);
        runner = new ModelRunner(hosted.Options, device, cancellations.IsCancelledLocally, logger);
        memo = new PromptMemo(hosted.Options.PromptMemoryEntries);
        runner.BatchCompleted += (size, _) => metrics.RecordBatchSize(size);
        runner.DeviceTimeCharged += metrics.RecordTenantDeviceTime;
        runner.ItemStarted += metrics.RecordTenantQueueWait;
        runner.ItemEnded += metrics.RecordTenantItem;
        runner.DeviceTimeCharged += usage.AddDeviceTime;
        runner.ItemStarted += usage.AddQueueWait;
        runner.ItemEnded += usage.AddItem;
        this.RegisterGrainTimer(ReportUsage, new GrainTimerCreationOptions(UsageInterval, UsageInterval) { Interleave = true });
        cancellations.Cancelled += runner.CancelJob;
        model = Served(await runner.Loaded, hosted);
        queueGauge = metrics.AddQueueDepthSource(this.GetPrimaryKeyString(), () => runner.QueueDepth);
        string replica = this.GetPrimaryKeyString(), modelName = model.Name;
        replicaGauges = ReplicaMetrics.Add(replica, modelName, () => runner.QueuedDeviceSeconds, () => (double)runner.CurrentRows / runner.MaxBatchSize);
        runner.BatchCompleted += (_, elapsed) => ReplicaMetrics.RecordStep(replica, modelName, elapsed);
        await Announce();
        this.RegisterGrainTimer(Announce, new GrainTimerCreationOptions(AnnouncementInterval, AnnouncementInterval) { Interleave = true });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await registry.WithdrawAsync(this.GetPrimaryKeyString());
        if (runner is not null) cancellations.Cancelled -= runner.CancelJob;
        queueGauge?.Dispose();
        replicaGauges?.Dispose();
        runner?.Dispose();
    }

    /// <summary>Sends each tenant's measured device use to its tenant grain (GET /v1/usage); kept for the next report if that fails.</summary>
    private async Task ReportUsage()
    {
        foreach (var (tenant, metered) in usage.Take())
        {
            try
            {
                await grains.GetGrain<ITenantGrain>(tenant).RecordUsageAsync(metered);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Reporting the device use of tenant {Tenant} failed; it is kept for the next report", tenant);
                usage.Restore(tenant, metered);
            }
        }
    }

    /// <summary>The loaded model under its served id. A directory served under another id than its own name gets its own
    /// version (caches are namespaced by version: two ids never share cached outputs or prompt encodings).</summary>
    private static ModelDescriptor Served(ModelDescriptor loaded, HostedModel hosted) => loaded with
    {
        Name = hosted.Id,
        Version = hosted.Id == loaded.Name ? loaded.Version : $"{hosted.Id}:{loaded.Version}",
        Position = hosted.Position,
    };

    private Task Announce() => registry.AnnounceAsync(this.GetPrimaryKeyString(), model!, 3 * AnnouncementInterval);

    public Task<ModelDescriptor> DescribeAsync() => Task.FromResult(model!);

    public async Task<string> GenerateAsync(GenerateImage work)
    {
        if (!model!.TextToImage) throw new NotSupportedException($"model {model.Version} cannot generate images");
        long started = Stopwatch.GetTimestamp();
        Activity.Current?.SetTag(PlatformTracing.Tenant, work.TenantId).SetTag(PlatformTracing.Job, work.JobId)
            .SetTag(PlatformTracing.Item, work.Index).SetTag(PlatformTracing.Model, model.Name).SetTag(PlatformTracing.ModelVersion, model.Version);
        // Encodings are cached per tenant: a hit (counted in /metrics, and faster) must not tell one tenant another's prompt.
        var cached = memo!.Get(work.TenantId, work.Prompt);
        if (cached is null && await prompts.GetAsync(work.TenantId, model.Version, work.Prompt) is { } stored)
        {
            cached = stored;
            memo.Set(work.TenantId, work.Prompt, stored);
        }
        if (cached is null) Interlocked.Increment(ref promptMisses);
        else Interlocked.Increment(ref promptHits);
        metrics.RecordPromptCacheLookup(cached is not null);
        var result = await runner!.GenerateAsync(work.JobId, work.Index, work.Prompt, work.Seed, work.Steps, work.GuidanceScale,
            cached, ProgressReporter(work.JobId, work.Index), work.TextNoise, Origin(work.TenantId, work.TenantWeight, work.Priority, work.Deadline),
            work.Previews, work.Previews > 0 ? PreviewReporter(work.JobId, work.Index) : null);
        string fileId;
        using (var store = PlatformTracing.Source.StartActivity("flowtok.store"))
        {
            store?.SetTag(PlatformTracing.Tenant, work.TenantId).SetTag(PlatformTracing.Job, work.JobId).SetTag("flowtok.bytes", result.Png.Length);
            fileId = await files.PutAsync(work.TenantId, result.Png, "image/png");
        }
        if (result.NewPromptEncoding is { } fresh)
        {
            memo.Set(work.TenantId, work.Prompt, fresh);
            await prompts.SetAsync(work.TenantId, model.Version, work.Prompt, fresh);
        }
        metrics.RecordItem("generation", "succeeded");
        metrics.RecordItemLatency(Stopwatch.GetElapsedTime(started));
        return fileId;
    }

    public async Task<string> CaptionAsync(CaptionImage work)
    {
        if (!model!.ImageToText) throw new NotSupportedException($"model {model.Version} has no image-to-text components");
        long started = Stopwatch.GetTimestamp();
        Activity.Current?.SetTag(PlatformTracing.Tenant, work.TenantId).SetTag(PlatformTracing.Job, work.JobId)
            .SetTag(PlatformTracing.Item, work.Index).SetTag(PlatformTracing.Model, model.Name).SetTag(PlatformTracing.ModelVersion, model.Version);
        // Only the job's own tenant's upload: another tenant's file id reads as missing.
        var upload = await files.GetAsync(work.TenantId, work.InputFileId)
            ?? throw new FileNotFoundException($"upload {work.InputFileId} of job {work.JobId} is missing, expired or not tenant {work.TenantId}'s");
        // The gateway stores the PNG it made of the client's pixels; a client's own bytes never reach a decoder here.
        if (CanonicalImage.Problem(upload.Bytes) is { } problem)
            throw new InvalidImageException($"upload {work.InputFileId} of job {work.JobId} is not a canonical image ({problem})");
        var caption = await runner!.CaptionAsync(work.JobId, work.Index, upload.Bytes, work.Steps, work.GuidanceScale,
            ProgressReporter(work.JobId, work.Index), Origin(work.TenantId, work.TenantWeight, work.Priority, work.Deadline));
        metrics.RecordItem("caption", "succeeded");
        metrics.RecordItemLatency(Stopwatch.GetElapsedTime(started));
        return caption;
    }

    public Task<ModelStats> GetStatsAsync()
    {
        var stats = runner!.Stats;
        return Task.FromResult(new ModelStats
        {
            Device = runner.Device,
            Model = model!,
            QueueDepth = stats.QueueDepth,
            Batches = stats.Steps,
            Items = stats.Items,
            MeanBatchSize = stats.MeanBatchSize,
            MaxBatchSizeSeen = stats.MaxRows,
            ItemsPerBusySecond = stats.ItemsPerBusySecond,
            PromptCacheHits = Interlocked.Read(ref promptHits),
            PromptCacheMisses = Interlocked.Read(ref promptMisses),
            CurrentRows = runner.CurrentRows,
            MaxBatchSize = runner.MaxBatchSize,
            QueuedDeviceSeconds = runner.QueuedDeviceSeconds,
        });
    }

    public Task<int?> GetQueuePositionAsync(string jobId) => Task.FromResult(runner?.QueuePositionOf(jobId));

    private static WorkOrigin Origin(string tenant, double weight, JobPriority priority, DateTimeOffset? deadline) =>
        new(tenant, weight > 0 ? weight : 1, priority == JobPriority.Batch ? WorkPriority.Batch : WorkPriority.Interactive, deadline);

    /// <summary>Previews from the inference thread to the job (one-way: the device thread never waits on the job).</summary>
    private ItemPreview PreviewReporter(string jobId, int index)
    {
        var job = grains.GetGrain<IJobGrain>(jobId);
        return (partialIndex, step, steps, png) =>
            _ = job.ReportPreviewAsync(new JobPreview { Index = index, PartialIndex = partialIndex, Step = step, Steps = steps, Png = png });
    }

    /// <summary>Progress from the inference thread to the job, at most every <see cref="ProgressInterval"/> (and the last step).</summary>
    private ItemProgress ProgressReporter(string jobId, int index)
    {
        var job = grains.GetGrain<IJobGrain>(jobId);
        long last = 0;
        return (step, steps) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (step != steps && Stopwatch.GetElapsedTime(last, now) < ProgressInterval) return;
            last = now;
            _ = job.ReportProgressAsync(index, step, steps);
        };
    }
}
