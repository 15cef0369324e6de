using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace FlowTok.Infrastructure.Tests.Backends;

/// <summary>
/// A real redis-server process on a free loopback port, in memory only, started for the collection and killed after it.
/// A missing redis-server fails the tests (it is a dependency of this suite, installed by .ci/run), never skips them.
/// </summary>
public sealed class RedisServerBackend : RedisBackend
{
    public const string Collection = "redis-server";

    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    readonly Process process;

    public RedisServerBackend()
    {
        var port = FreeLoopbackPort();
        ConnectionString = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                "redis-server is not installed; these tests need it (apt-get install -y redis-server, as .ci/run does).", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            WaitUntilAnswering();
        }
        catch
        {
            StopServer();
            throw;
        }
    }

    public override string ConnectionString { get; }

    protected override void StopServer()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }
        process.Dispose();
    }

    void WaitUntilAnswering()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} at start.");
            }
            try
            {
                using var probe = ConnectionMultiplexer.Connect(ConnectionString + ",connectTimeout=500");
                probe.GetDatabase().Ping();
                return;
            }
            catch (RedisConnectionException) when (deadline.Elapsed < StartTimeout)
            {
                Thread.Sleep(50);
            }
        }
    }

    static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

[CollectionDefinition(RedisServerBackend.Collection)]
public sealed class RedisServerCollection : ICollectionFixture<RedisServerBackend>;
