using FlowTok.Grains.Consumers;
using FlowTok.Grains.Models;
using MassTransit;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// A silo's receive endpoints, one queue per consumer, connected to the running bus one by one (rather than by
/// ConfigureEndpoints) so that they can be replaced: after a broker restart MassTransit 8.5 leaves some endpoints
/// silently dead (see <see cref="BrokerWatch"/>), and neither waiting nor restarting the bus reliably revives them
/// (a bus restart left endpoints that had faulted unstarted, or hung stopping dead ones). Fresh endpoints always work.
/// </summary>
/// <param name="endpoints">This silo's queues (<see cref="For"/>).</param>
/// <param name="hooks">Applied to every endpoint before its consumer, as ConfigureEndpoints applies them (IConfigureReceiveEndpoint services).</param>
public sealed class ReceiveEndpoints(IReadOnlyList<ReceiveEndpoints.Endpoint> endpoints, IReceiveEndpointConnector connector,
    IEnumerable<IConfigureReceiveEndpoint> hooks, ILogger<ReceiveEndpoints> logger) : IHostedService
{
    /// <summary>How long a replaced endpoint may take to stop (finishing the messages it holds) before it is left behind.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private static readonly Type GenerateDefinition = typeof(WorkConsumerDefinition<GenerateImageConsumer>),
        CaptionDefinition = typeof(WorkConsumerDefinition<CaptionImageConsumer>);

    private static readonly Endpoint[] EventEndpoints =
    [
        new("ImageGenerated", typeof(ImageGeneratedConsumer), typeof(JobEventConsumerDefinition<ImageGeneratedConsumer>)),
        new("ImageCaptioned", typeof(ImageCaptionedConsumer), typeof(JobEventConsumerDefinition<ImageCaptionedConsumer>)),
        new("ItemFailed", typeof(GenerationFailedConsumer), typeof(JobEventConsumerDefinition<GenerationFailedConsumer>)),
        new("WorkFault", typeof(WorkFaultConsumer), typeof(JobEventConsumerDefinition<WorkFaultConsumer>)),
    ];

    private readonly SemaphoreSlim gate = new(1, 1);
    /// <summary>The connected endpoint of each queue; a queue whose old endpoint would not stop has none (yet).</summary>
    private readonly Dictionary<string, HostReceiveEndpointHandle> handles = [];
    /// <summary>Replaced endpoints that have not stopped yet (their queue's name is still taken).</summary>
    private readonly Dictionary<string, HostReceiveEndpointHandle> stale = [];

    /// <summary>
    /// The queues and consumers of a silo: every silo takes the job events (results back to the job grains); a silo hosting
    /// models takes the work queues of each (<see cref="WorkQueues"/>), as many messages at once as that model's replicas
    /// hold, and the unsuffixed queues (commands naming no model) for its first model.
    /// </summary>
    public static IReadOnlyList<Endpoint> For(IReadOnlyList<HostedModel> models)
    {
        if (models.Count == 0) return EventEndpoints;
        int Concurrency(HostedModel m) => m.Devices.Count * WorkConsumerDefinition<GenerateImageConsumer>.PerDevice(m.Options);
        List<Endpoint> work =
        [
            new(WorkQueues.Generate, typeof(GenerateImageConsumer), GenerateDefinition, Concurrency(models[0])),
            new(WorkQueues.Caption, typeof(CaptionImageConsumer), CaptionDefinition, Concurrency(models[0])),
        ];
        foreach (var model in models)
        {
            // Sent to by name only: bound to the message types' exchanges, they would get a copy of every published command.
            work.Add(new(WorkQueues.GenerateFor(model.Id), typeof(GenerateImageConsumer), GenerateDefinition, Concurrency(model), BindMessageTypes: false));
            work.Add(new(WorkQueues.CaptionFor(model.Id), typeof(CaptionImageConsumer), CaptionDefinition, Concurrency(model), BindMessageTypes: false));
        }
        return [.. work, .. EventEndpoints];
    }

    /// <summary>Registers the consumers (with their definitions: concurrency, prefetch, retry) with MassTransit.</summary>
    public static void AddConsumers(IBusRegistrationConfigurator bus, IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var (consumer, definition) in endpoints.Select(e => (e.Consumer, e.Definition)).Distinct()) bus.AddConsumer(consumer, definition);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Locked(() => Task.FromResult(ConnectMissing()), cancellationToken);

    /// <summary>The bus stops the endpoints with itself (finishing the work they hold).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops every endpoint (each given <see cref="StopTimeout"/> to finish what it holds; what it held unacknowledged is
    /// redelivered anyway) and connects a fresh one in its place. MassTransit frees a queue's name only when its old
    /// endpoint has stopped, so a queue whose endpoint would not stop stays without one: the result is false, and the
    /// caller tries again (<see cref="ConnectMissingAsync"/>).
    /// </summary>
    public Task<bool> ReplaceAsync(CancellationToken cancellationToken) => Locked(() =>
    {
        foreach (var (queue, handle) in handles) stale[queue] = handle;
        handles.Clear();
        return StopStaleAndConnect(cancellationToken);
    }, cancellationToken);

    /// <summary>Stops the replaced endpoints that would not stop before and connects their queues; true when every queue
    /// has a fresh endpoint.</summary>
    public Task<bool> ConnectMissingAsync(CancellationToken cancellationToken) =>
        Locked(() => StopStaleAndConnect(cancellationToken), cancellationToken);

    /// <summary>One change of the endpoints at a time.</summary>
    private async Task<bool> Locked(Func<Task<bool>> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await change();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<bool> StopStaleAndConnect(CancellationToken cancellationToken)
    {
        var stopped = await Task.WhenAll(stale.Select(async h => (Queue: h.Key, Stopped: await TryStopAsync(h.Value, cancellationToken))));
        foreach (var (queue, _) in stopped.Where(s => s.Stopped)) stale.Remove(queue);
        return ConnectMissing() && stale.Count == 0;
    }

    private bool ConnectMissing()
    {
        bool all = true;
        foreach (var endpoint in endpoints.Where(e => !handles.ContainsKey(e.Queue) && !stale.ContainsKey(e.Queue)))
        {
            try
            {
                handles[endpoint.Queue] = connector.ConnectReceiveEndpoint(endpoint.Queue, (context, configurator) =>
                {
                    foreach (var hook in hooks) hook.Configure(endpoint.Queue, configurator);
                    configurator.ConfigureConsumeTopology = endpoint.BindMessageTypes;
                    configurator.ConfigureConsumer(context, endpoint.Consumer);
                    if (endpoint.Concurrency is { } concurrency)
                        (configurator.PrefetchCount, configurator.ConcurrentMessageLimit) = (concurrency, concurrency);
                });
            }
            catch (ConfigurationException e)
            {
                // The old endpoint of this queue has not let go of its name yet.
                logger.LogWarning("The receive endpoint of queue {Queue} cannot be connected yet: {Reason}", endpoint.Queue, e.Message);
                all = false;
            }
        }
        return all;
    }

    private async Task<bool> TryStopAsync(HostReceiveEndpointHandle handle, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await handle.StopAsync(timeout.Token);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The receive endpoint {Address} did not stop cleanly: {Reason}", handle.ReceiveEndpoint.InputAddress, e.Message);
            return false;
        }
    }

    /// <summary>A queue and the consumer (with its definition) that takes its messages; <paramref name="Concurrency"/>: messages
    /// in flight (and prefetched), else the definition's; <paramref name="BindMessageTypes"/>: whether published messages
    /// of the consumer's types reach it.</summary>
    public sealed record Endpoint(string Queue, Type Consumer, Type Definition, int? Concurrency = null, bool BindMessageTypes = true);
}
