using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;
using Garnet.common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowTok.Infrastructure.Redis;

/// <summary>
/// A Redis-protocol server (Microsoft Garnet) running inside this process on 127.0.0.1, so one machine runs the platform
/// with nothing installed. The constructor starts it (clients can connect as soon as it returns); it keeps everything in
/// memory and writes nothing to disk; <see cref="Dispose"/> stops it.
/// </summary>
public sealed class EmbeddedRedisServer : IDisposable
{
    // Garnet's defaults size a dedicated cache node (16 GB log, 128 MB hash index). An embedded store of short-lived
    // results needs far less. Values larger than a page live on the heap, so the page size does not bound value size.
    public const string DefaultMemorySize = "256m";
    public const string PageSize = "1m";
    public const string IndexMemorySize = "4m";

    const int PortAttempts = 5;

    readonly GarnetServer server;
    readonly ILoggerFactory garnetLogging;

    /// <param name="port">Port to listen on; 0 picks a free one.</param>
    /// <param name="loggerFactory">Receives Garnet's warnings and errors; null = Garnet logs nothing.</param>
    /// <param name="memorySize">
    /// Memory for keys and values ("256m", "2g"). Nothing goes to disk: once this much has been written (expired values
    /// still count until dropped), Garnet drops the oldest records, whatever they hold (seen with 2.2.8).
    /// </param>
    public EmbeddedRedisServer(int port = 0, ILoggerFactory? loggerFactory = null, string memorySize = DefaultMemorySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentException.ThrowIfNullOrWhiteSpace(memorySize);
        garnetLogging = GarnetLogging(loggerFactory);
        for (var attempt = 1; ; attempt++)
        {
            var candidate = port == 0 ? FreeLoopbackPort() : port;
            GarnetServer? started = null;
            try
            {
                // cleanupDir must stay false: with no log directory configured, Garnet's clean-up deletes the current
                // working directory (seen with 2.2.8).
                started = new GarnetServer(Arguments(candidate, memorySize), garnetLogging, cleanupDir: false);
                started.Start();
                server = started;
                Port = candidate;
                return;
            }
            catch (GarnetException) when (port == 0 && attempt < PortAttempts)
            {
                // Another process took the free port between probing and binding: try another.
                started?.Dispose();
            }
            catch
            {
                started?.Dispose();
                garnetLogging.Dispose();
                throw;
            }
        }
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public void Dispose()
    {
        server.Dispose();
        garnetLogging.Dispose();
    }

    static string[] Arguments(int port, string memorySize) =>
    [
        "--bind", "127.0.0.1",
        "--port", port.ToString(CultureInfo.InvariantCulture),
        "--memory", memorySize,
        "--page", PageSize,
        "--index", IndexMemorySize,
        // Orleans' Redis grain storage and the admission counter run Lua scripts; transaction mode makes a script
        // atomic (keys locked for its duration), as in Redis. Without it Garnet interleaves scripts with other commands.
        "--lua",
        "--lua-transaction-mode",
        // No banner on stdout (logging goes to the factory below, never to Garnet's own console logger).
        "-q",
    ];

    static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// Garnet logs its whole configuration at Information, and warns that it ignores its own logging options whenever it
    /// is given a factory; the host sees Garnet's warnings and errors only, under categories "Garnet.*".
    /// </summary>
    static ILoggerFactory GarnetLogging(ILoggerFactory? hostLogging)
    {
        if (hostLogging is null)
        {
            return NullLoggerFactory.Instance;
        }
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("ArgParser", LogLevel.Error)
            .AddProvider(new ForwardingLoggerProvider(hostLogging)));
    }

    sealed class ForwardingLoggerProvider(ILoggerFactory hostLogging) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => hostLogging.CreateLogger("Garnet." + categoryName);

        public void Dispose()
        {
            // The host owns its factory.
        }
    }
}
