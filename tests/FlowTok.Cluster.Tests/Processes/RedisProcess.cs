using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace FlowTok.Cluster.Tests.Processes;

/// <summary>
/// A real redis-server on a free loopback port with its own data directory and an append-only file fsynced on every
/// write, so a stop and a start keep the data, as a production Redis with AOF does.
/// A missing redis-server fails the tests (installed by .ci/run), never skips them.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    readonly int port;
    readonly string directory;
    readonly ProcessLog log;
    Process? process;

    RedisProcess(int port, string directory)
    {
        this.port = port;
        this.directory = directory;
        log = new ProcessLog(Path.Combine(directory, "redis-server.log"));
    }

    /// <summary>Where clients connect: "127.0.0.1:PORT".</summary>
    public string ConnectionString => $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<RedisProcess> StartAsync()
    {
        var redis = new RedisProcess(ChildProcesses.FreePort(), Directory.CreateTempSubdirectory("flowtok-redis-").FullName);
        try
        {
            await redis.StartAgainAsync();
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server again on the same port and data directory; returns once PING answers (so the append-only
    /// file has been loaded).</summary>
    public async Task StartAgainAsync()
    {
        if (process is { HasExited: false }) throw new InvalidOperationException("redis-server is already running.");
        process?.Dispose();
        var start = new ProcessStartInfo("redis-server") { WorkingDirectory = directory };
        foreach (var argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        process = ChildProcesses.Start(start, log,
            "redis-server is not installed; these tests need it (apt-get install -y redis-server, as .ci/run does).");
        await WaitUntilAnsweringAsync(process);
    }

    /// <summary>SIGTERM, as a service manager stops it (Redis fsyncs the append-only file and exits); waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        ChildProcesses.Terminate(process);
        if (!await ChildProcesses.WaitForExitOrKillAsync(process, StopTimeout))
            throw new TimeoutException($"redis-server did not stop within {StopTimeout} of SIGTERM; killed.\n{log.Tail(20)}");
    }

    public ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            if (!process.HasExited) ChildProcesses.KillTree(process);
            process.Dispose();
        }
        log.Dispose();
        Directory.Delete(directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    async Task WaitUntilAnsweringAsync(Process server)
    {
        var clock = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (server.HasExited)
                throw new InvalidOperationException($"redis-server exited with code {server.ExitCode} at start.\n{log.Tail(20)}");
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"redis-server did not answer PING within {StartTimeout}.\n{log.Tail(20)}");
            await Task.Delay(50);
        }
    }

    /// <summary>PING in the Redis protocol; "+PONG" only once the data is loaded (before that it answers "-LOADING").</summary>
    async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray(), timeout.Token);
            var reply = new byte[64];
            var read = await stream.ReadAsync(reply, timeout.Token);
            return Encoding.ASCII.GetString(reply, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
