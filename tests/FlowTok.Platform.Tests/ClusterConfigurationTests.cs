using FlowTok.Gateway.Hosting;
using FlowTok.Silo.Hosting;

namespace FlowTok.Platform.Tests;

public class ClusterConfigurationTests
{
    [Theory]
    [InlineData(PlatformRole.All, "Localhost", null, null)]
    [InlineData(PlatformRole.All, "Redis", "127.0.0.1:6379", null)]
    [InlineData(PlatformRole.Silo, "Redis", "127.0.0.1:6379", null)]
    [InlineData(PlatformRole.Gateway, "Redis", "127.0.0.1:6379", null)]
    [InlineData(PlatformRole.All, "Redis", null, "Cluster:Clustering Redis needs Redis:ConnectionString")]
    [InlineData(PlatformRole.Gateway, "Localhost", null, "Cluster:Role Gateway needs Redis:ConnectionString")]
    [InlineData(PlatformRole.All, "Zookeeper", null, "Cluster:Clustering 'Zookeeper' is not Localhost or Redis")]
    public void RoleAndClusteringCombinationsThatCannotWorkAreRefusedWithTheSettingToChange(
        PlatformRole role, string clustering, string? redis, string? error)
    {
        var options = new OrleansHostOptions { Role = role, Clustering = clustering };
        var failure = Record.Exception(() => options.Validate(redis));
        if (error is null) Assert.Null(failure);
        else Assert.Contains(error, Assert.IsType<InvalidOperationException>(failure).Message);
    }

    [Fact]
    public async Task AGatewayWithoutASharedRedisDoesNotStart()
    {
        var failure = await Record.ExceptionAsync(() => PlatformHost.StartAsync(["--Cluster:Role", "Gateway", "--urls", "http://127.0.0.1:0"]));
        Assert.Contains("Redis:ConnectionString", Assert.IsType<InvalidOperationException>(failure).Message);
    }

    [Theory]
    [InlineData("rabbitmq://guest:guest@127.0.0.1:5673/cluster-1", "amqp://guest:guest@127.0.0.1:5673/cluster-1")]
    [InlineData("rabbitmq://user:secret@broker/", "amqp://user:secret@broker:5672/")]
    [InlineData("rabbitmqs://user:secret@broker/prod", "amqps://user:secret@broker:5671/prod")]
    public void TheBrokerWatchReachesTheBrokerTheBusIsConfiguredWith(string busUri, string expected) =>
        Assert.Equal(new Uri(expected), BrokerWatch.AmqpUri(new Uri(busUri)));
}
