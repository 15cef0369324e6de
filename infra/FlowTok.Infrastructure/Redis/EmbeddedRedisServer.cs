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
/// with nothing installed. The constructor starts it (clients can connect as soon as it returns); <see cref="Dispose"/>
/// stops it. Records live in memory; those that no longer fit are moved to files in a private temporary directory
/// (<see cref="StorageDirectory"/>) and read back from there, so no record is ever dropped for lack of memory. Nothing
/// survives the server: no checkpoints, no append-only file, and <see cref="Dispose"/> deletes the directory.
/// </summary>
/// <remarks>
/// Disk and memory stay bounded (<see cref="EmbeddedCompaction"/>): Garnet's "Lookup" compaction periodically copies the
/// live records of the oldest part of its log to the tail and deletes the files below it, so the log (memory plus files)
/// spans at most about segment size x segments beyond what is live, and expired or deleted records are dropped (a
/// background scan deletes expired keys). With Garnet 2.2.8 the same compaction crashed or hung the process; 2.2.12 is
/// the version this was measured with (docs/OPERATIONS.md: the storage soak).
/// </remarks>
public sealed class EmbeddedRedisServer : IDisposable
{
    // Garnet's defaults size a dedicated cache node (16 GB log, 128 MB hash index). An embedded store of short-lived
    // results needs far less. Values larger than a page live on the heap, so the page size does not bound value size.
    public const string DefaultMemorySize = "256m";
    public const string PageSize = "1m";
    public const string IndexMemorySize = "4m";

    const int PortAttempts = 5;
    const string DirectoryPrefix = "flowtok-garnet-";

    readonly GarnetServer server;
    readonly ILoggerFactory garnetLogging;

    /// <param name="port">Port to listen on; 0 picks a free one.</param>
    /// <param name="loggerFactory">Receives Garnet's warnings and errors; null = Garnet logs nothing.</param>
    /// <param name="memorySize">
    /// Memory for keys and values ("256m", "2g"). Once this much has been written (expired values still count), the
    /// oldest records move to disk: still readable and writable, only slower (a read from disk, not a memory access).
    /// </param>
    /// <param name="compaction">How the log is kept bounded; null = <see cref="EmbeddedCompaction.Default"/>.</param>
    public EmbeddedRedisServer(int port = 0, ILoggerFactory? loggerFactory = null, string memorySize = DefaultMemorySize,
        EmbeddedCompaction? compaction = null)
    {
        compaction ??= EmbeddedCompaction.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentException.ThrowIfNullOrWhiteSpace(memorySize);
        garnetLogging = GarnetLogging(loggerFactory);
        for (var attempt = 1; ; attempt++)
        {
            var candidate = port == 0 ? FreeLoopbackPort() : port;
            string? directory = null;
            GarnetServer? started = null;
            try
            {
                // A fresh directory for each attempt: a failed start may have left files in the previous one.
                directory = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
                // cleanupDir must stay false: Garnet's own clean-up deleted the current working directory when no log
                // directory was configured (seen with 2.2.8). We delete our directory ourselves, and nothing else.
                started = new GarnetServer(Arguments(candidate, memorySize, compaction, directory), garnetLogging, cleanupDir: false);
                started.Start();
                server = started;
                Port = candidate;
                StorageDirectory = directory;
                return;
            }
            catch (GarnetException) when (port == 0 && attempt < PortAttempts)
            {
                // Another process took the free port between probing and binding: try another.
                started?.Dispose();
                DeleteDirectory(directory);
            }
            catch
            {
                started?.Dispose();
                DeleteDirectory(directory);
                garnetLogging.Dispose();
                throw;
            }
        }
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The directory of this server's records that left memory: created for it under the system temporary directory
    /// ("flowtok-garnet-*", readable by the current user only on Unix) and deleted by <see cref="Dispose"/>. A process
    /// that ends without disposing the server leaves it behind.
    /// </summary>
    public string StorageDirectory { get; }

    /// <summary>
    /// Bytes in <see cref="StorageDirectory"/> now: the records that left memory, and what compaction has not deleted yet.
    /// Listing the files takes a moment (not for a hot path); a file compaction deletes while it is listed counts as 0.
    /// </summary>
    public long SpillBytes =>
        !Directory.Exists(StorageDirectory) ? 0 : new DirectoryInfo(StorageDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(LengthOrZero);

    /// <summary>A size written as a whole number with an optional k, m, g or t (also kb, mb...; powers of 1024) in bytes.</summary>
    /// <exception cref="FormatException">Not such a size.</exception>
    public static long ParseSize(string size) =>
        TryParseSize(size, out long bytes) ? bytes : throw new FormatException($"a size like 256m, 512k or 2g, not '{size}'");

    /// <summary>Reads a size as <see cref="ParseSize"/> does; false when it is not one (Garnet's own reader takes any text).</summary>
    public static bool TryParseSize(string? size, out long bytes)
    {
        bytes = 0;
        string text = (size ?? "").Trim().ToLowerInvariant();
        if (text.Length > 1 && text[^1] == 'b' && char.IsLetter(text[^2])) text = text[..^1];
        int shift = text.Length == 0 ? 0 : text[^1] switch { 'k' => 10, 'm' => 20, 'g' => 30, 't' => 40, _ => 0 };
        string digits = shift == 0 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > long.MaxValue >> shift) return false;
        bytes = count << shift;
        return true;
    }

    static long LengthOrZero(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        try
        {
            server.Dispose();
        }
        finally
        {
            garnetLogging.Dispose();
            DeleteDirectory(StorageDirectory);
        }
    }

    static string[] Arguments(int port, string memorySize, EmbeddedCompaction compaction, string directory) =>
    [
        "--bind", "127.0.0.1",
        "--port", port.ToString(CultureInfo.InvariantCulture),
        "--memory", memorySize,
        "--page", PageSize,
        "--index", IndexMemorySize,
        // Records that leave memory are written to files in our directory instead of being dropped (without
        // --storage-tier Garnet discards them). Nothing is persisted beyond that: no checkpoints (they would also go to
        // our directory), no append-only file, no recovery; a new server starts empty.
        "--storage-tier",
        "--logdir", directory,
        "--checkpointdir", directory,
        // Garnet's default device on Linux is its native one, which needs libaio and, when that is missing, ends the
        // whole process at the first spill (seen with 2.2.8). .NET's own file I/O needs nothing installed.
        "--device-type", "RandomAccess",
        // Bounded disk: expired keys are deleted by a background scan; compaction keeps the live records of the oldest
        // segments (looked up in the index: no second index is built, unlike "Scan") and deletes their files at once
        // (there are no checkpoints that would otherwise delete them).
        // Half the memory stays mutable (Garnet's default: 90 %), so the read-only half can hold the whole compaction
        // window: compaction then copies live records from memory, not from files (copying records read back from disk
        // failed with a NullReferenceException in 2.2.12 for hashes).
        "--mutable-percent", "50",
        "--segment", compaction.SegmentSize,
        "--compaction-type", "Lookup",
        "--compaction-freq", Seconds(compaction.Every),
        "--compaction-max-segments", compaction.Segments.ToString(CultureInfo.InvariantCulture),
        "--compaction-force-delete", "true",
        "--expired-key-deletion-scan-freq", Seconds(compaction.ExpiredKeyScan),
        // Orleans' Redis grain storage and the admission counter run Lua scripts; transaction mode makes a script
        // atomic (keys locked for its duration), as in Redis. Without it Garnet interleaves scripts with other commands.
        "--lua",
        "--lua-transaction-mode",
        // No banner on stdout (logging goes to the factory below, never to Garnet's own console logger).
        "-q",
    ];

    static string Seconds(TimeSpan period) =>
        Math.Max(1, (int)Math.Ceiling(period.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Best effort: a directory that cannot be deleted stays behind; one already gone is fine.</summary>
    static void DeleteDirectory(string? directory)
    {
        if (directory is null)
        {
            return;
        }
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

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

/// <summary>
/// How the embedded server keeps its log bounded: log files are cut into <paramref name="SegmentSize"/> segments; every
/// <paramref name="Every"/>, once the log's immutable part spans more than <paramref name="Segments"/> segments, the live
/// records of the oldest are copied to the tail and their files deleted; expired keys are deleted every
/// <paramref name="ExpiredKeyScan"/> (periods are whole seconds, at least 1).
/// </summary>
public sealed record EmbeddedCompaction(string SegmentSize, int Segments, TimeSpan Every, TimeSpan ExpiredKeyScan)
{
    /// <summary>A 64 MB window: within the read-only half of the default 256m of memory.</summary>
    public static readonly EmbeddedCompaction Default = new("8m", 8, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
}
