using FlowTok.Infrastructure.Observability;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace FlowTok.Silo.Hosting;

/// <summary>
/// Replaces the silo's receive endpoints after the RabbitMQ broker went away and came back. MassTransit 8.5
/// reconnects, but a receive endpoint whose channel shutdown it did not notice stays silently dead: the cluster tests
/// saw a random subset of a silo's endpoints (often the job-event ones, whose messages then pile up unconsumed) never
/// consume again. The watch keeps its own small connection to the broker (no automatic recovery): when that
/// connection ends, the broker is gone; the next connection that succeeds means it is back, and every endpoint is
/// replaced by a fresh one (<see cref="ReceiveEndpoints"/>). Messages in flight meanwhile are safe: unacknowledged
/// deliveries are redelivered, and publishes are retried.
/// </summary>
public sealed class BrokerWatch(ReceiveEndpoints endpoints, IOptions<BusOptions> options, PlatformMetrics metrics, ILogger<BrokerWatch> logger)
    : BackgroundService
{
    /// <summary>How often the broker is tried while it is away, and how often an open connection is checked.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private int replacements;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = AmqpUri(new Uri(options.Value.RabbitMq)),
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            ClientProvidedName = "flowtok-broker-watch",
        };
        bool lost = false;
        try
        {
            while (true)
            {
                IConnection connection;
                try
                {
                    connection = await factory.CreateConnectionAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    if (!lost) logger.LogWarning("RabbitMQ cannot be reached ({Reason}); the receive endpoints are replaced once it can", e.Message);
                    lost = true;
                    await Task.Delay(Interval, stoppingToken);
                    continue;
                }
                await using (connection)
                {
                    bool complete = true;
                    if (lost)
                    {
                        logger.LogWarning("RabbitMQ is back: replacing the receive endpoints so that every queue is consumed again");
                        complete = await Try(endpoints.ReplaceAsync, stoppingToken);
                        if (complete) Replaced();
                        else logger.LogWarning("Some old receive endpoints have not stopped yet; their queues are connected once they have");
                        lost = false;
                    }
                    while (connection.IsOpen)
                    {
                        await Task.Delay(Interval, stoppingToken);
                        if (!complete && (complete = await Try(endpoints.ConnectMissingAsync, stoppingToken))) Replaced();
                    }
                    logger.LogWarning("The connection to RabbitMQ was lost ({Reason}); the receive endpoints are replaced when the broker is back",
                        connection.CloseReason?.ReplyText ?? "no reason given");
                    lost = true;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping: the bus stops the endpoints.
        }
    }

    /// <summary>Every queue has a fresh endpoint.</summary>
    private void Replaced()
    {
        metrics.RecordEndpointsReplaced();
        logger.LogWarning("The receive endpoints were replaced after the broker came back (time {Count})", ++replacements);
    }

    /// <summary>Runs a step of the replacement; a failure is logged and reported as unfinished (tried again).</summary>
    private async Task<bool> Try(Func<CancellationToken, Task<bool>> step, CancellationToken stoppingToken)
    {
        try
        {
            return await step(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(e, "Replacing the receive endpoints failed; trying again");
            return false;
        }
    }

    /// <summary>MassTransit's "rabbitmq://user:password@host:port/vhost" (or rabbitmqs) as the client's amqp(s) URI.</summary>
    public static Uri AmqpUri(Uri busUri)
    {
        var secure = busUri.Scheme.Equals("rabbitmqs", StringComparison.OrdinalIgnoreCase) || busUri.Scheme.Equals("amqps", StringComparison.OrdinalIgnoreCase);
        var amqp = new UriBuilder(busUri) { Scheme = secure ? "amqps" : "amqp" };
        if (busUri.Port <= 0) amqp.Port = secure ? 5671 : 5672;
        return amqp.Uri;
    }
}
