using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FlowTok.Cluster.Tests.Processes;

/// <summary>
/// A private RabbitMQ broker (the Debian rabbitmq-server package) on free loopback ports, with its own node name,
/// Erlang cookie and data directory: a stop and a start keep vhosts, durable queues and persistent messages.
/// The Debian wrapper scripts switch from root to the rabbitmq user, so the tests run as root and the directory
/// belongs to rabbitmq. epmd (the Erlang port mapper, one per machine, shared by every node) is left running.
/// </summary>
public sealed class RabbitMqProcess : IAsyncDisposable
{
    const string Server = "/usr/sbin/rabbitmq-server";
    const string Control = "/usr/sbin/rabbitmqctl";
    const string InstallHint = "rabbitmq-server is not installed; these tests need it (apt-get install -y rabbitmq-server, as .ci/run does).";
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(60);

    readonly string node;
    readonly int distributionPort;
    readonly string directory;
    readonly string cookie = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    readonly ProcessLog log;
    Process? process;

    RabbitMqProcess(string node, int port, int distributionPort, string directory)
    {
        this.node = node;
        Port = port;
        this.distributionPort = distributionPort;
        this.directory = directory;
        log = new ProcessLog(Path.Combine(directory, "rabbitmq-server.out"));
    }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>MassTransit's address of a virtual host: "rabbitmq://guest:guest@127.0.0.1:PORT/vhost" (guest may
    /// connect from loopback only, which is where the broker listens).</summary>
    public Uri Uri(string vhost) =>
        new($"rabbitmq://guest:guest@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{System.Uri.EscapeDataString(vhost)}");

    public static async Task<RabbitMqProcess> StartAsync()
    {
        if (!File.Exists(Server) || !File.Exists(Control)) throw new InvalidOperationException(InstallHint);
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException("the RabbitMQ tests run as root: the Debian rabbitmq-server wrapper switches to the rabbitmq user only from root.");
        var node = $"flowtok-test-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}@localhost";
        var directory = Directory.CreateTempSubdirectory("flowtok-rabbitmq-").FullName;
        var broker = new RabbitMqProcess(node, ChildProcesses.FreePort(), ChildProcesses.FreePort(), directory);
        try
        {
            await broker.PrepareDirectoryAsync();
            await broker.StartAgainAsync();
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the broker again with the same node name, ports and data directory; returns once it has booted.</summary>
    public async Task StartAgainAsync()
    {
        if (process is { HasExited: false }) throw new InvalidOperationException("rabbitmq-server is already running.");
        process?.Dispose();
        var start = new ProcessStartInfo(Server) { WorkingDirectory = directory };
        foreach (var (name, value) in NodeEnvironment())
            start.Environment[name] = value;
        process = ChildProcesses.Start(start, log, InstallHint);
        await WaitUntilBootedAsync(process);
    }

    /// <summary>Adds a virtual host in which guest may configure, write and read everything.</summary>
    public async Task AddVirtualHostAsync(string name)
    {
        await ControlAsync("add_vhost", name);
        await ControlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
    }

    /// <summary>Runs a rabbitmqctl command against this node (authenticated with its cookie); returns its output or
    /// throws with it when the command fails.</summary>
    public async Task<string> ControlAsync(params string[] arguments)
    {
        var (exitCode, output) = await TryControlAsync(arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} exited with {exitCode}:\n{output}");
    }

    /// <summary>A clean stop (rabbitmqctl stop: queues and messages flushed to disk); waits for the server to exit.</summary>
    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        var (exitCode, output) = await TryControlAsync("stop");
        if (exitCode != 0 && !process.HasExited)
            throw new InvalidOperationException($"rabbitmqctl stop exited with {exitCode}:\n{output}");
        if (!await ChildProcesses.WaitForExitOrKillAsync(process, StopTimeout))
            throw new TimeoutException($"rabbitmq-server did not exit within {StopTimeout} of rabbitmqctl stop; killed.\n{log.Tail(20)}");
    }

    /// <summary>Stops the broker (killed if it will not stop), kills whatever of this node is left, deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            if (!process.HasExited)
            {
                try
                {
                    await StopAsync();
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    ChildProcesses.KillTree(process);
                }
            }
            process.Dispose();
        }
        KillLeftovers();
        log.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>The node's environment: everything inside the private directory, no plugins, loopback only, and a cookie
    /// of its own (an explicit -setcookie, so neither the node nor rabbitmqctl reads the shared ~rabbitmq/.erlang.cookie).</summary>
    IEnumerable<(string Name, string Value)> NodeEnvironment() =>
    [
        ("RABBITMQ_NODENAME", node),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
        ("RABBITMQ_NODE_PORT", Port.ToString(CultureInfo.InvariantCulture)),
        ("RABBITMQ_DIST_PORT", distributionPort.ToString(CultureInfo.InvariantCulture)),
        ("RABBITMQ_MNESIA_BASE", Path.Combine(directory, "mnesia")),
        ("RABBITMQ_LOG_BASE", Path.Combine(directory, "log")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(directory, "enabled_plugins")),
        ("RABBITMQ_CONFIG_FILE", Path.Combine(directory, "rabbitmq.conf")),
        ("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(directory, "advanced.config")),
        ("RABBITMQ_CONF_ENV_FILE", Path.Combine(directory, "rabbitmq-env.conf")),
        ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", $"-setcookie {cookie}"),
    ];

    /// <summary>The files the node reads instead of the system's (/etc/rabbitmq), all owned by the rabbitmq user.</summary>
    async Task PrepareDirectoryAsync()
    {
        Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(directory, "log"));
        await File.WriteAllTextAsync(Path.Combine(directory, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq.conf"), "loopback_users.guest = true\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq-env.conf"), "");
        var (exitCode, output) = await ChildProcesses.RunAsync("chown", ["-R", "rabbitmq:rabbitmq", directory], ControlTimeout);
        if (exitCode != 0) throw new InvalidOperationException($"chown -R rabbitmq:rabbitmq {directory} failed:\n{output}");
    }

    /// <summary>Ready once the AMQP listener answers the protocol header and rabbitmqctl sees the boot finished.</summary>
    async Task WaitUntilBootedAsync(Process server)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (server.HasExited)
                throw new InvalidOperationException($"rabbitmq-server exited with code {server.ExitCode} at start.\n{log.Tail(30)}");
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"rabbitmq-server did not boot within {StartTimeout}.\n{log.Tail(30)}");
            if (await AnswersAmqpAsync(Port))
            {
                var (exitCode, output) = await TryControlAsync("await_startup");
                if (exitCode == 0) return;
                log.Add($"[harness] rabbitmqctl await_startup exited with {exitCode}: {output}");
            }
            await Task.Delay(100);
        }
    }

    Task<(int ExitCode, string Output)> TryControlAsync(params string[] arguments) =>
        ChildProcesses.RunAsync(Control, ["--erlang-cookie", cookie, "-n", node, .. arguments], ControlTimeout);

    /// <summary>True when the port answers an AMQP 0-9-1 protocol header with a frame (connection.start), i.e. a broker,
    /// not just an open socket, is listening.</summary>
    public static async Task<bool> AnswersAmqpAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), timeout.Token);
            var frameType = new byte[1];
            return await stream.ReadAsync(frameType, timeout.Token) == 1 && frameType[0] == 1;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills processes of this node that outlived the wrapper (found by the node name in their environment), but
    /// never epmd: it serves every Erlang node on the machine.</summary>
    void KillLeftovers()
    {
        var marker = $"RABBITMQ_NODENAME={node}\0";
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(entry, "environ")).Contains(marker, StringComparison.Ordinal)) continue;
                if (Path.GetFileName(File.ReadAllText(Path.Combine(entry, "comm")).Trim()) == "epmd") continue;
                using var leftover = Process.GetProcessById(pid);
                log.Add($"[harness] killing leftover {pid} {leftover.ProcessName}");
                leftover.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Gone meanwhile, or a zombie without an environment.
            }
        }
    }
}
