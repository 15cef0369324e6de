using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using StackExchange.Redis;

namespace FlowTok.Cluster.Tests.Processes;

[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class RedisProcessTests
{
    [Fact]
    public async Task KeyWrittenBeforeAStopIsThereAfterTheRestart()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
            Assert.True(await connection.GetDatabase().StringSetAsync("harness:key", "kept"));

        await redis.StopAsync();
        await redis.StartAgainAsync();

        await using var again = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.Equal("kept", (string?)await again.GetDatabase().StringGetAsync("harness:key"));
    }
}

[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class RabbitMqProcessTests(RabbitMqFixture fixture)
{
    RabbitMqProcess Broker => fixture.Broker;

    [Fact]
    public async Task VirtualHostAndPersistentMessageSurviveARestart()
    {
        await Broker.AddVirtualHostAsync("harness");
        // No AMQP client in this project: the broker's own Erlang API declares a durable queue and publishes a
        // persistent message (delivery_mode 2) to it through the default exchange.
        await Broker.ControlAsync("eval", """
            Q = rabbit_misc:r(<<"harness">>, queue, <<"kept">>),
            {new, _} = rabbit_amqqueue:declare(Q, true, false, [], none, <<"harness">>),
            rabbit_basic:publish(rabbit_misc:r(<<"harness">>, exchange, <<>>), <<"kept">>, [{delivery_mode, 2}], <<"message">>).
            """);
        Assert.Equal("kept\t1\ttrue", await Queues("harness"));

        await Broker.StopAsync();
        Assert.False(await RabbitMqProcess.AnswersAmqpAsync(Broker.Port));
        await Broker.StartAgainAsync();

        Assert.Contains("harness", (await Broker.ControlAsync("list_vhosts", "--quiet", "--no-table-headers")).Split('\n'));
        Assert.Equal("kept\t1\ttrue", await Queues("harness"));
        Assert.True(await RabbitMqProcess.AnswersAmqpAsync(Broker.Port));
    }

    [Fact]
    public async Task UriNamesTheBrokerPortAndVirtualHost()
    {
        await Broker.AddVirtualHostAsync("jobs");

        Assert.Equal(new Uri($"rabbitmq://guest:guest@127.0.0.1:{Broker.Port}/jobs"), Broker.Uri("jobs"));
        Assert.Contains("guest\t.*\t.*\t.*", await Broker.ControlAsync("list_permissions", "-p", "jobs", "--quiet", "--no-table-headers"));
    }

    async Task<string> Queues(string vhost) =>
        (await Broker.ControlAsync("list_queues", "-p", vhost, "name", "messages", "durable", "--quiet", "--no-table-headers")).Trim();
}

[Trait("Tier", "system")] // needs redis-server, rabbitmq-server installed
[Collection(ClusterCollection.Name)]
public sealed class PlatformProcessTests
{
    const string Key = "ftk-process-harness-0123456789abcdef";
    static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task OneMachinePlatformServesAnImageAndExitsCleanlyOnSigterm()
    {
        var (platform, address) = await StartOneMachinePlatformAsync();
        await using var _ = platform;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var response = await http.PostAsJsonAsync("/v1/images/generations", new { prompt = "a red circle", n = 1 });

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{platform.LogTail()}");
        var exitCode = await platform.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{platform.LogTail()}");
    }

    [Fact]
    public async Task KillEndsTheProcessAtOnce()
    {
        var (platform, _) = await StartOneMachinePlatformAsync();
        await using var _ = platform;

        platform.Kill();

        Assert.True(platform.HasExited);
    }

    static async Task<(PlatformProcess Platform, Uri Address)> StartOneMachinePlatformAsync()
    {
        var address = new Uri($"http://127.0.0.1:{PlatformProcess.FreePort()}");
        string[] args =
        [
            "--urls", address.ToString(),
            "--Model:Devices:0", "sim:0",
            "--Cluster:SiloPort", PlatformProcess.FreePort().ToString(),
            "--Cluster:GatewayPort", PlatformProcess.FreePort().ToString(),
            "--Platform:DevelopmentKey", Key,
        ];
        return (await PlatformProcess.StartAsync("platform", args, new Uri(address, "/health/ready"), StartTimeout), address);
    }
}
