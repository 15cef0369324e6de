using FlowTok.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using StackExchange.Redis;

namespace FlowTok.Gateway.Hosting;

/// <summary>
/// The Orleans wiring a process that serves the HTTP API shares with the silos, without referencing any grain: the
/// stateless client a gateway is (membership from Redis or this machine), the Redis exception codec and the shared
/// Redis connection for clustering. Used by both hosts (flowtok-platform, role Gateway; flowtok-gateway).
/// </summary>
public static class GatewayClient
{
    /// <summary>A grain call that fails because Redis is away fails with Redis' exception at the caller (a transient failure
    /// there: retried, or 503): without this, Orleans had no codec for it, the response was lost and the request got 500.</summary>
    public static void SerializeRedisExceptions(ExceptionSerializationOptions o)
    {
        o.SupportedNamespacePrefixes.Add("StackExchange.Redis");
        // The Orleans Redis providers' own exceptions (storage, reminders, clustering): a grain whose state could not be read
        // while Redis was away fails with one inside an OrleansException; without it the gateway saw no Redis at all.
        o.SupportedNamespacePrefixes.Add("Orleans.Persistence.Redis");
        o.SupportedNamespacePrefixes.Add("Orleans.Reminders.Redis");
        o.SupportedNamespacePrefixes.Add("Orleans.Clustering.Redis");
    }

    /// <summary>A gateway: a stateless Orleans client that finds the silos in the Redis membership table (or on this machine).</summary>
    public static void ConfigureClient(this IClientBuilder client, OrleansHostOptions options)
    {
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        client.AddActivityPropagation();
        client.Configure<ExceptionSerializationOptions>(SerializeRedisExceptions);
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.GatewayResponseTimeout);
        // New silos become gateways for this client quickly (the default refresh is a minute).
        client.Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        if (options.UsesRedisClustering)
        {
            client.UseRedisClustering(_ => { });
            client.Services.AddOptions<Orleans.Clustering.Redis.RedisClusteringOptions>().Configure<RedisEndpoint, IConnectionMultiplexer>(UseShared);
        }
        else
            client.UseLocalhostClustering(options.GatewayPort);
    }

    /// <summary>Orleans' Redis clustering uses the process's one Redis connection.</summary>
    public static void UseShared(Orleans.Clustering.Redis.RedisClusteringOptions o, RedisEndpoint endpoint, IConnectionMultiplexer redis)
    {
        o.ConfigurationOptions = ConfigurationOptions.Parse(endpoint.ConnectionString);
        o.CreateMultiplexer = _ => Task.FromResult((redis, true));
    }
}
