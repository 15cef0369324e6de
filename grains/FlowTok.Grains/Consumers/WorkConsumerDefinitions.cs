using FlowTok.Grains.Models;
using MassTransit;
using Microsoft.Extensions.Options;

namespace FlowTok.Grains.Consumers;

/// <summary>
/// Policy for the work consumers: enough messages in flight to fill every local replica's batches twice over (so a
/// batch forms while the previous one runs), and retries with back-off (a full replica queue, a transient failure).
/// After the last retry MassTransit publishes Fault&lt;T&gt;, which fails the item (<see cref="WorkFaultConsumer"/>).
/// </summary>
public sealed class WorkConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer> where TConsumer : class, IConsumer
{
    public WorkConsumerDefinition(IOptions<ModelHostingOptions> options) =>
        ConcurrentMessageLimit = WorkConsumerPolicy.Concurrency(options.Value);

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context) =>
        WorkConsumerPolicy.Configure(endpoint);
}

internal static class WorkConsumerPolicy
{
    public static int Concurrency(ModelHostingOptions options) => Math.Max(1, options.EffectiveDevices.Count) * options.MaxBatchSize * 2;

    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<NotSupportedException>();
            retry.Ignore<FileNotFoundException>();
            retry.Intervals(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        });
}
