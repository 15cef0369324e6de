using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowTok.Infrastructure.Redis;
using Garnet.common;
using FlowTok.Infrastructure.Tests.Backends;
using Microsoft.Extensions.Logging;
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

    [Fact]
    public async Task RecordsThatLeaveMemoryAreKeptOnDisk()
    {
        // 48 MB of other values through 16m of memory: without the storage tier, Garnet drops the first records.
        using var server = new EmbeddedRedisServer(memorySize: "16m");
        using var client = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var db = client.GetDatabase();
        var first = RandomBytes(1000);
        Assert.True(await db.StringSetAsync("first", first));
        await db.HashSetAsync("first-hash", [new HashEntry("tenant", "t-1"), new HashEntry("bytes", first)]);

        var filler = RandomBytes(64 * 1024);
        for (var batch = 0; batch < 12; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => db.StringSetAsync($"filler:{batch}:{i}", filler)));
        }

        Assert.Equal(first, (byte[]?)await db.StringGetAsync("first"));
        Assert.Equal("t-1", (string?)await db.HashGetAsync("first-hash", "tenant"));
        Assert.Equal(first, (byte[]?)await db.HashGetAsync("first-hash", "bytes"));
        Assert.Equal(filler, (byte[]?)await db.StringGetAsync("filler:0:0"));
        Assert.Equal(filler, (byte[]?)await db.StringGetAsync("filler:11:63"));
        Assert.True(server.SpillBytes > 16 << 20);

        // A record on disk can still be changed.
        Assert.False(await db.HashSetAsync("first-hash", "tenant", "t-2"));
        Assert.Equal("t-2", (string?)await db.HashGetAsync("first-hash", "tenant"));
        Assert.Equal(first, (byte[]?)await db.HashGetAsync("first-hash", "bytes"));
        Assert.Equal(1001, await db.StringAppendAsync("first", "!"));
        byte[] appended = [.. first, (byte)'!'];
        Assert.Equal(appended, (byte[]?)await db.StringGetAsync("first"));
    }

    [Fact]
    public async Task CompactionDeletesExpiredRecordsFilesAndKeepsTheLiveOnes()
    {
        // 96 MB of values that expire within a second go through 8m of memory; the log may span 4 segments of 2m.
        var compaction = new EmbeddedCompaction("2m", 4, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var garnetLog = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(garnetLog).SetMinimumLevel(LogLevel.Warning));
        using var server = new EmbeddedRedisServer(loggerFactory: loggerFactory, memorySize: "8m", compaction: compaction);
        using var client = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var db = client.GetDatabase();
        var live = Enumerable.Range(0, 50).Select(_ => RandomBytes(1000)).ToList();
        for (var i = 0; i < live.Count; i++) Assert.True(await db.StringSetAsync($"live:{i}", live[i]));
        await db.HashSetAsync("live-hash", [new HashEntry("tenant", "t-1"), new HashEntry("bytes", live[0])]);

        const long written = 96L << 20;
        var value = RandomBytes(32 * 1024);
        long peak = 0;
        for (var batch = 0; batch < written / value.Length / 64; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => db.StringSetAsync($"expiring:{batch}:{i}", value, TimeSpan.FromSeconds(1))));
            peak = Math.Max(peak, server.SpillBytes);
        }

        // Compaction runs every second, after the expired keys' scan; it took 10-20 s on 2 busy cores. The wait only bounds
        // a failing run.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (server.SpillBytes > 16 << 20 && DateTime.UtcNow < deadline) await Task.Delay(250);
        var settled = server.SpillBytes;
        Assert.True(settled <= 16 << 20, $"files hold {settled >> 20} MB of {written >> 20} MB written (peak {peak >> 20} MB)");
        // A live record lost is data loss: say which, whether a second read finds it (a read racing a compaction), and what
        // Garnet logged.
        var missing = new List<int>();
        for (var i = 0; i < live.Count; i++)
            if (!SameBytes(live[i], await db.StringGetAsync($"live:{i}"))) missing.Add(i);
        if (missing.Count > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var stillMissing = new List<int>();
            foreach (var i in missing)
                if (!SameBytes(live[i], await db.StringGetAsync($"live:{i}"))) stillMissing.Add(i);
            Assert.Fail($"live records read wrong or missing after compaction: {string.Join(",", missing)}; 2 s later still: " +
                $"{string.Join(",", stillMissing)}; files {settled >> 20} MB (peak {peak >> 20} MB); Garnet logged: {garnetLog.Text()}");
        }
        Assert.Equal("t-1", (string?)await db.HashGetAsync("live-hash", "tenant"));
        Assert.Equal(live[0], (byte[]?)await db.HashGetAsync("live-hash", "bytes"));
    }

    [Fact]
    public void StorageDirectoryIsPrivateAndDeletedOnDispose()
    {
        var server = new EmbeddedRedisServer();
        var directory = server.StorageDirectory;
        Assert.True(Directory.Exists(directory));
        Assert.StartsWith(Path.GetTempPath(), directory, StringComparison.Ordinal);
        Assert.NotEqual(garnet.Server.StorageDirectory, directory);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        }

        server.Dispose();

        Assert.False(Directory.Exists(directory));
    }

    static bool SameBytes(byte[] expected, RedisValue read) => read.HasValue && expected.AsSpan().SequenceEqual((byte[])read!);

    static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>Keeps what a logger was told (for a failure message).</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public string Text() => lines.IsEmpty ? "nothing" : string.Join(" | ", lines.Take(20));

    public void Dispose()
    {
    }

    private sealed class Collector(CollectingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
    }
}
