using System.ComponentModel;
using System.Diagnostics;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Every <c>tests/openai-node/*.test.mjs</c> (the official <c>openai</c> npm client, pinned by its package-lock) run with
/// <c>node --test</c> against the one-machine platform; node's own output is shown when a file fails. The build installs
/// the client (<c>npm ci</c>, a target in this project); without Node.js the tests fail and say so. Files in subfolders
/// need a platform configured otherwise and are run by the tests of that platform (<c>webhooks/</c>: WebhookTests).
/// </summary>
[Trait("Tier", "system")] // needs node, npm installed
[Collection(PlatformCollection.Name)]
public sealed class OpenAiNodeClientTests(PlatformFixture platform)
{
    public static TheoryData<string> TestFiles()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(NodeClientTests.Folder(), "*.test.mjs").Order(StringComparer.Ordinal)) files.Add(Path.GetFileName(file));
        return files;
    }

    [Theory]
    [MemberData(nameof(TestFiles))]
    public Task TheNpmClientPasses(string file) => NodeClientTests.RunAsync(file, platform.BaseAddress, PlatformFixture.KeyA);
}

/// <summary>Runs one file of <c>tests/openai-node</c> with <c>node --test</c> against a platform, with its address and a key.</summary>
internal static class NodeClientTests
{
    private static readonly TimeSpan FileTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Runs <paramref name="file"/> (relative to tests/openai-node) and fails with node's output unless it passes.</summary>
    public static async Task RunAsync(string file, Uri platform, string key)
    {
        var start = new ProcessStartInfo("node", ["--test", file])
        {
            WorkingDirectory = Folder(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["FLOWTOK_BASE_URL"] = new Uri(platform, "/v1").ToString().TrimEnd('/');
        start.Environment["FLOWTOK_API_KEY"] = key;
        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"Node.js is needed for the OpenAI npm client tests and `node` could not be started ({e.Message}); install Node.js 22+ (what the pinned client declares) and put it on PATH");
        }
        using (node)
        {
            var output = node.StandardOutput.ReadToEndAsync();
            var errors = node.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(FileTimeout);
            try
            {
                await node.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"node --test {file} did not finish within {FileTimeout}:\n{await output}\n{await errors}");
            }
            Assert.True(node.ExitCode == 0, $"node --test {file} exited with {node.ExitCode}:\n{await output}\n{await errors}");
        }
    }

    /// <summary>tests/openai-node, found from the test assembly's folder upwards.</summary>
    public static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "openai-node");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/openai-node not found above {AppContext.BaseDirectory}");
    }
}
