using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using FlowTok.Grains.Models;
using FlowTok.Storage;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Consumers;

/// <summary>Hands a queued image to a local model replica; reports the stored file (or the cancellation) as an event.</summary>
public sealed class GenerateImageConsumer(LocalModels models, ICancellationSignals cancellations, ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    public Task Consume(ConsumeContext<GenerateImage> context)
    {
        var work = context.Message;
        return WorkItemRun.Run(context, cancellations, logger, work.JobId, work.Index, async () =>
        {
            var fileId = await models.Next(work.Model).GenerateAsync(work);
            return new ImageGenerated(work.JobId, work.Index, fileId, work.Seed);
        });
    }
}

/// <summary>Hands a queued captioning item to a local model replica; reports the caption (or the cancellation) as an event.</summary>
public sealed class CaptionImageConsumer(LocalModels models, ICancellationSignals cancellations, ILogger<CaptionImageConsumer> logger) : IConsumer<CaptionImage>
{
    public Task Consume(ConsumeContext<CaptionImage> context)
    {
        var work = context.Message;
        return WorkItemRun.Run(context, cancellations, logger, work.JobId, work.Index, async () =>
            new ImageCaptioned(work.JobId, work.Index, await models.Next(work.Model).CaptionAsync(work)));
    }
}

internal static class WorkItemRun
{
    /// <summary>Skips work of a cancelled job, runs the rest, and publishes the outcome event. Other failures propagate
    /// to MassTransit's retry policy and, when retries are exhausted, to a Fault event.</summary>
    public static async Task Run<TEvent>(ConsumeContext context, ICancellationSignals cancellations, ILogger logger, string jobId, int index,
        Func<Task<TEvent>> work) where TEvent : class
    {
        logger.LogDebug("Item {Index} of job {JobId} received (message {MessageId}, redelivered: {Redelivered})", index, jobId, context.MessageId,
            context.ReceiveContext.Redelivered);
        var cancelled = new ItemFailed(jobId, index, ItemFailures.Cancelled);
        if (await cancellations.IsCancelledAsync(jobId))
        {
            await context.Publish(cancelled);
            return;
        }
        TEvent done;
        try
        {
            done = await work();
        }
        catch (OperationCanceledException)
        {
            if (!await cancellations.IsCancelledAsync(jobId)) throw;
            await context.Publish(cancelled);
            return;
        }
        catch (DeadlineExceededException e)
        {
            // Dropped by the replica's scheduler before it used a device: the item fails, no retry. The details (device, wait)
            // are the platform's, not the tenant's: logged here, published as a code.
            logger.LogInformation("Item {Index} of job {JobId} was dropped: {Reason}", index, jobId, e.Message);
            await context.Publish(new ItemFailed(jobId, index, ItemFailures.DeadlineExceeded));
            return;
        }
        await context.Publish(done);
        logger.LogDebug("Item {Index} of job {JobId} done", index, jobId);
    }
}
