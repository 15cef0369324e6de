using FlowTok.Contracts.Jobs;
using FlowTok.Contracts.Messages;
using MassTransit;

namespace FlowTok.Grains.Consumers;

/// <summary>Completion events from the model silos back to the job's grain.</summary>
public sealed class ImageGeneratedConsumer(IGrainFactory grains) : IConsumer<ImageGenerated>
{
    public Task Consume(ConsumeContext<ImageGenerated> context)
    {
        var m = context.Message;
        return grains.GetGrain<IRequestGrain>(m.JobId).CompleteItemAsync(new JobOutput { Index = m.Index, FileId = m.FileId, Seed = m.Seed });
    }
}

public sealed class ImageCaptionedConsumer(IGrainFactory grains) : IConsumer<ImageCaptioned>
{
    public Task Consume(ConsumeContext<ImageCaptioned> context)
    {
        var m = context.Message;
        return grains.GetGrain<IRequestGrain>(m.JobId).CompleteItemAsync(new JobOutput { Index = m.Index, Caption = m.Caption });
    }
}

public sealed class GenerationFailedConsumer(IGrainFactory grains) : IConsumer<GenerationFailed>
{
    public Task Consume(ConsumeContext<GenerationFailed> context)
    {
        var m = context.Message;
        return grains.GetGrain<IRequestGrain>(m.JobId).FailItemAsync(m.Index, m.Reason);
    }
}

/// <summary>An item whose retries are exhausted fails its job with the error — never silently lost.</summary>
public sealed class WorkFaultConsumer(IGrainFactory grains) : IConsumer<Fault<GenerateImage>>, IConsumer<Fault<CaptionImage>>
{
    public Task Consume(ConsumeContext<Fault<GenerateImage>> context) =>
        Fail(context.Message.Message.JobId, context.Message.Message.Index, context.Message.Exceptions);

    public Task Consume(ConsumeContext<Fault<CaptionImage>> context) =>
        Fail(context.Message.Message.JobId, context.Message.Message.Index, context.Message.Exceptions);

    private Task Fail(string jobId, int index, ExceptionInfo[] exceptions) =>
        grains.GetGrain<IRequestGrain>(jobId).FailItemAsync(index, exceptions.FirstOrDefault()?.Message ?? "the item failed");
}
