using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowTok.Infrastructure.Redis;
using Garnet.common;
using FlowTok.Infrastructure.Tests.Backends;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Redis;

[Collection(GarnetBackend.Collection)]
public sealed class EmbeddedRedisServerTests(GarnetBackend garnet)
{
    [Fact]
    public async Task EmbeddedServerRunsLuaScripts()
    {
        var db = garnet.Redis.GetDatabase();
        var name = $"lua-{Guid.NewGuid():N}";
        var key = new RedisKey(name);
        // Shaped like Orleans' Redis grain storage write: compare an etag field, then write the state and a new etag.
        const string script = """
            local etag = redis.call('HGET', KEYS[1], 'etag')
            if etag ~= false and etag ~= ARGV[1] then
              return -1
            end
            redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'data', ARGV[3])
            return redis.call('HLEN', KEYS[1])
            """;

        Assert.Equal(2, (long)await db.ScriptEvaluateAsync(script, [key], ["", "e1", "state-1"]));
        Assert.Equal(-1, (long)await db.ScriptEvaluateAsync(script, [key], ["stale", "e2", "state-2"]));
        Assert.Equal("state-1", (string?)await db.HashGetAsync(key, "data"));

        // EVALSHA of a loaded script.
        var loaded = await LuaScript.Prepare("return redis.call('INCRBY', @key, @by)").LoadAsync(garnet.Redis.GetServer(garnet.Redis.GetEndPoints()[0]));
        Assert.Equal(5, (long)await loaded.EvaluateAsync(db, new { key = new RedisKey(name + ":n"), by = 5 }));
        Assert.Equal(12, (long)await loaded.EvaluateAsync(db, new { key = new RedisKey(name + ":n"), by = 7 }));
    }

    [Fact]
    public async Task FreePortsAreChosenForEachServer()
    {
        using var second = new EmbeddedRedisServer();
        using var client = await ConnectionMultiplexer.ConnectAsync(second.ConnectionString);

        Assert.NotEqual(garnet.Server.Port, second.Port);
        Assert.Equal($"127.0.0.1:{second.Port}", second.ConnectionString);
        Assert.True(await client.GetDatabase().StringSetAsync("k", "v"));
        Assert.False(await garnet.Redis.GetDatabase().KeyExistsAsync("k"));
    }

    [Fact]
    public async Task ConfiguredPortIsUsed()
    {
        var port = FreeLoopbackPort();

        using var server = new EmbeddedRedisServer(port);
        using var client = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");

        Assert.Equal(port, server.Port);
        Assert.True(await client.GetDatabase().StringSetAsync("k", "v"));
    }

    [Fact]
    public void ConfiguredPortInUseFailsInsteadOfMoving()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var error = Assert.Throws<GarnetException>(() => new EmbeddedRedisServer(port));
        Assert.Contains(port.ToString(CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public void UnreadableMemorySizeIsRefused()
    {
        Assert.ThrowsAny<Exception>(() => new EmbeddedRedisServer(memorySize: "plenty"));
    }

    [Fact]
    public async Task DisposedServerStopsListening()
    {
        var server = new EmbeddedRedisServer();
        var connectionString = server.ConnectionString;
        using (var client = await ConnectionMultiplexer.ConnectAsync(connectionString))
        {
            await client.GetDatabase().PingAsync();
        }

        server.Dispose();

        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(connectionString + ",connectTimeout=500,connectRetry=0"));
    }

    static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
