using FlowTok.Grains.Models;
using FlowTok.Model.Pipelines;
using MassTransit;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Consumers;

/// <summary>
/// Policy for the work consumers: as many messages in flight (and prefetched from the broker) as the local replicas'
/// schedulers hold (Model:MaxQueueLength per device), so queued work waits in the schedulers, which order it by tenant
/// share, priority and deadline, and the broker's FIFO queue stays shallow; and <see cref="ConsumerRetry"/>.
/// After the last retry MassTransit publishes Fault&lt;T&gt;, which fails the item (<see cref="WorkFaultConsumer"/>).
/// </summary>
public sealed class WorkConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    private readonly int concurrency;

    public WorkConsumerDefinition(IOptions<ModelHostingOptions> options) =>
        ConcurrentMessageLimit = concurrency = Math.Max(1, options.Value.EffectiveDevices.Count) * PerDevice(options.Value);

    /// <summary>Messages in flight per replica: what its scheduler holds. A model's own queue takes this per device of that
    /// model (set on its endpoint, below the limit here, which counts every device of the silo).</summary>
    public static int PerDevice(ModelHostingOptions options) => Math.Max(options.MaxQueueLength, options.MaxBatchSize * 2);

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = concurrency;
        endpoint.ConcurrentMessageLimit = concurrency;
        ConsumerRetry.Configure(endpoint);
    }
}

/// <summary>The job-event consumers (results back to the job grains) retry like the work consumers: a job grain whose silo
/// just died, or Redis restarting, is a transient failure, and the event must not end up in an error queue.</summary>
public sealed class JobEventConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context) =>
        ConsumerRetry.Configure(endpoint);
}

/// <summary>
/// Retries with exponential back-off for about two minutes in all (a full replica queue, a failing Redis or
/// silo, a grain moving after its silo died), holding the message unacknowledged meanwhile. A model that cannot do
/// the work (not supported, upload gone, not an image the model may decode) is not retried.
/// </summary>
internal static class ConsumerRetry
{
    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<NotSupportedException>();
            retry.Ignore<FileNotFoundException>();
            retry.Ignore<InvalidImageException>();
            retry.Ignore<DeadlineExceededException>();
            retry.Exponential(12, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        });
}
