using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlowTok.Grains.Consumers;

/// <summary>Completion events from the model silos back to the job's grain.</summary>
public sealed class ImageGeneratedConsumer(IGrainFactory grains) : IConsumer<ImageGenerated>
{
    public Task Consume(ConsumeContext<ImageGenerated> context)
    {
        var m = context.Message;
        return grains.GetGrain<IJobGrain>(m.JobId).CompleteItemAsync(new JobOutput { Index = m.Index, FileId = m.FileId, Seed = m.Seed });
    }
}

public sealed class ImageCaptionedConsumer(IGrainFactory grains) : IConsumer<ImageCaptioned>
{
    public Task Consume(ConsumeContext<ImageCaptioned> context)
    {
        var m = context.Message;
        return grains.GetGrain<IJobGrain>(m.JobId).CompleteItemAsync(new JobOutput { Index = m.Index, Caption = m.Caption });
    }
}

public sealed class GenerationFailedConsumer(IGrainFactory grains) : IConsumer<ItemFailed>
{
    public Task Consume(ConsumeContext<ItemFailed> context)
    {
        var m = context.Message;
        return grains.GetGrain<IJobGrain>(m.JobId).FailItemAsync(m.Index, m.Reason);
    }
}

/// <summary>An item whose retries are exhausted fails its job — never silently lost. The job is told the failure's public
/// code (<see cref="FailureCodes"/>); the exception's text goes to this log with the job id, never to the tenant.</summary>
public sealed class WorkFaultConsumer(IGrainFactory grains, ILogger<WorkFaultConsumer> logger) : IConsumer<Fault<GenerateImage>>, IConsumer<Fault<CaptionImage>>
{
    public Task Consume(ConsumeContext<Fault<GenerateImage>> context) =>
        Fail(context.Message.Message.JobId, context.Message.Message.Index, context.Message.Exceptions);

    public Task Consume(ConsumeContext<Fault<CaptionImage>> context) =>
        Fail(context.Message.Message.JobId, context.Message.Message.Index, context.Message.Exceptions);

    private Task Fail(string jobId, int index, ExceptionInfo[] exceptions)
    {
        var exception = exceptions.FirstOrDefault();
        string code = FailureCodes.For(exception);
        logger.LogWarning("Item {Index} of job {JobId} failed ({Code}): {ExceptionType}: {Message}", index, jobId, code,
            exception?.ExceptionType, exception?.Message);
        return grains.GetGrain<IJobGrain>(jobId).FailItemAsync(index, code);
    }
}
