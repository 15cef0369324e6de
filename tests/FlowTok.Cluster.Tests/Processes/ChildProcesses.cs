using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FlowTok.Cluster.Tests.Processes;

/// <summary>What the process harnesses share: free ports, starting a child with its output logged, SIGTERM, and
/// running a command-line tool to completion.</summary>
static class ChildProcesses
{
    const int SigTerm = 15;

    /// <summary>A loopback port free right now (the OS picks it; another process may still take it before we bind).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts <paramref name="start"/> with stdin closed and stdout/stderr going to <paramref name="log"/>;
    /// a missing executable becomes an <see cref="InvalidOperationException"/> carrying <paramref name="missingHint"/>.</summary>
    public static Process Start(ProcessStartInfo start, ProcessLog log, string missingHint)
    {
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{start.FileName} could not be started ({e.Message}); {missingHint}", e);
        }
        process.OutputDataReceived += (_, e) => log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Sends SIGTERM (a polite stop: the process runs its shutdown and chooses its exit code).</summary>
    public static void Terminate(Process process)
    {
        if (kill(process.Id, SigTerm) != 0 && !process.HasExited)
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the exit; past <paramref name="timeout"/> kills the whole tree and returns false.</summary>
    public static async Task<bool> WaitForExitOrKillAsync(Process process, TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            return false;
        }
    }

    /// <summary>SIGKILL to the process and all its descendants, then waits for the exit.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        process.WaitForExit();
    }

    /// <summary>Runs a command-line tool to completion; returns its exit code and its stdout and stderr together.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!await WaitForExitOrKillAsync(process, timeout))
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        // A daemon it started (epmd) could hold the pipes open past its exit.
        await Task.WhenAll(output, error).WaitAsync(timeout);
        return (process.ExitCode, (await output + await error).Trim());
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);
}
