using System.Diagnostics;
using System.Net;
using System.Reflection;

namespace FlowTok.Cluster.Tests.Processes;

/// <summary>
/// A platform binary run as a child process: <c>flowtok-platform</c> (the silo project's build output) or
/// <c>flowtok-gateway</c> (the gateway host's), as <c>dotnet flowtok-platform.dll args</c>, its output kept for assertion
/// messages and in a log file. The test project references both projects without loading them, only so that they are built first.
/// </summary>
public sealed class PlatformProcess : IAsyncDisposable
{
    const string Solution = "FlowTok.Platform.sln";
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    readonly Process process;
    readonly ProcessLog log;
    readonly string directory;

    PlatformProcess(string name, Process process, ProcessLog log, string directory)
    {
        Name = name;
        this.process = process;
        this.log = log;
        this.directory = directory;
    }

    public string Name { get; }
    public int Pid => process.Id;
    public bool HasExited => process.HasExited;

    /// <summary>A loopback port free right now, for --urls and the Orleans silo and gateway ports.</summary>
    public static int FreePort() => ChildProcesses.FreePort();

    /// <summary>Starts the platform with <paramref name="args"/> (configuration, as on its command line) and, given a
    /// <paramref name="readyUrl"/>, returns once that answers 200; fails at once, with the log, if the process exits.
    /// <paramref name="binary"/>: which host runs it (the silo's flowtok-platform unless told).</summary>
    public static async Task<PlatformProcess> StartAsync(string name, IEnumerable<string> args, Uri? readyUrl, TimeSpan timeout,
        PlatformBinary binary = PlatformBinary.Platform)
    {
        var dll = BinaryDll(binary);
        var directory = Directory.CreateTempSubdirectory($"flowtok-{name}-").FullName;
        var log = new ProcessLog(Path.Combine(directory, $"{name}.log"));
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            // Run from its own folder, as the installed binary is: the host's content root is the current directory, so
            // only there does it read its appsettings.json.
            WorkingDirectory = Path.GetDirectoryName(dll),
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in args) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var platform = new PlatformProcess(name, ChildProcesses.Start(start, log, "dotnet is not on PATH."), log, directory);
        try
        {
            if (readyUrl is not null) await platform.WaitUntilReadyAsync(readyUrl, timeout);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last <paramref name="lines"/> lines the process wrote (stdout and stderr), after the last error reports it
    /// wrote, for assertion messages.</summary>
    public string LogTail(int lines = 40)
    {
        var errors = log.Errors();
        var reported = errors.Length == 0 ? "" : $"--- {Name}: last error reports ---\n{errors}\n";
        return $"{reported}--- {Name} (pid {Pid}), {log.Path}, last lines ---\n{log.Tail(lines)}";
    }

    /// <summary>This process's log entries whose header contains <paramref name="fragment"/> (see <see cref="ProcessLog.Matching"/>).</summary>
    public string LogMatching(string fragment) => $"--- {Name}: log entries of {fragment} ---\n{log.Matching(fragment)}";

    /// <summary>kill -9 of the process and its children: no shutdown code runs.</summary>
    public void Kill() => ChildProcesses.KillTree(process);

    /// <summary>SIGTERM (what a service manager or Kubernetes sends): the host shuts down gracefully; returns the exit code,
    /// or throws with the log if the process is still running after <paramref name="timeout"/> (it is killed then).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!process.HasExited) ChildProcesses.Terminate(process);
        if (!await ChildProcesses.WaitForExitOrKillAsync(process, timeout))
            throw new TimeoutException($"{Name} did not exit within {timeout} of SIGTERM; killed.\n{LogTail()}");
        return process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!process.HasExited) ChildProcesses.KillTree(process);
        process.Dispose();
        log.Dispose();
        Directory.Delete(directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    async Task WaitUntilReadyAsync(Uri readyUrl, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before {readyUrl} answered 200.\n{LogTail()}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{Name}: {readyUrl} did not answer 200 within {timeout} (last: {last}).\n{LogTail()}");
            try
            {
                using var response = await http.GetAsync(readyUrl);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode} {response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The binary's bin/&lt;Configuration&gt;/net&lt;version&gt;/ folder in this repository (silos/FlowTok.Silo or
    /// gateway/FlowTok.Gateway.Host), built in the test assembly's own configuration (Debug or Release).</summary>
    public static string OutputFolder(PlatformBinary binary)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, Solution))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"no {Solution} in or above {AppContext.BaseDirectory}.");
        var configuration = typeof(PlatformProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var project = binary == PlatformBinary.Gateway ? Path.Combine("gateway", "FlowTok.Gateway.Host") : Path.Combine("silos", "FlowTok.Silo");
        return Path.Combine(root.FullName, project, "bin", configuration, framework);
    }

    static string BinaryDll(PlatformBinary binary)
    {
        var dll = Path.Combine(OutputFolder(binary), binary == PlatformBinary.Gateway ? "flowtok-gateway.dll" : "flowtok-platform.dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"{dll} not found; build the solution (dotnet build FlowTok.Platform.sln).");
    }
}

/// <summary>The two hosts: flowtok-platform (silos/FlowTok.Silo, every role) and flowtok-gateway (gateway/FlowTok.Gateway.Host).</summary>
public enum PlatformBinary
{
    Platform,
    Gateway,
}
