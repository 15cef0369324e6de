using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlowTok.Platform.Tests.Playground;

/// <summary>
/// On one simulated device that runs one row at a time (0.5 s a step) behind a long job: the playground shows a waiting
/// job's place in the queue (captured as queued-desktop.png in FLOWTOK_PLAYGROUND_SCREENSHOTS when set) and, in the operator
/// view, the replica's batch (rows now / most); and the Orleans Dashboard
/// renders, captured as a PNG in FLOWTOK_DASHBOARD_SCREENSHOT when set (docs/observability/dashboard.png), else a
/// temporary file.
/// </summary>
public sealed class QueueAndDashboardPages(PlaygroundBrowser browser) : IClassFixture<PlaygroundBrowser>
{
    private static Task<SimulatedPlatform> StartAsync(string name) =>
        SimulatedPlatform.StartAsync(name, ["--Model:MaxBatchSize=1", "--Model:Simulated:StepLatency=00:00:00.500"]);

    /// <summary>Submits a job that holds the device for about <paramref name="steps"/> / 2 seconds and waits until it runs.</summary>
    private static async Task HoldTheDeviceAsync(SimulatedPlatform platform, int steps)
    {
        var job = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a long job", steps })).ExpectJson(HttpStatusCode.Accepted);
        string id = job.GetProperty("id").GetString()!;
        for (var until = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            var now = await (await platform.Client.GetAsync($"/v1/jobs/{id}")).ExpectJson(HttpStatusCode.OK);
            if (now.GetProperty("status").GetString() == "running") return;
            Assert.True(DateTime.UtcNow < until, "the long job never started");
        }
    }

    [Fact]
    public async Task AWaitingJobShowsItsPlaceInTheQueueAndTheOperatorViewTheBatch()
    {
        await using var platform = await StartAsync("playqueue");
        await HoldTheDeviceAsync(platform, 40);
        var page = await browser.SignInAsync(platform.Client.BaseAddress!, "ftk-test-playqueue-0123456789abcdef0123");
        await page.GetByLabel("Prompt").FillAsync("a small blue square");
        await page.GetByLabel("Steps").FillAsync("2");
        await page.GetByRole(AriaRole.Region, new() { Name = "Generate", Exact = true }).GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasTextRegex = new Regex("^Queued: .*position 1 in the queue$") })).ToBeVisibleAsync();
        if (Environment.GetEnvironmentVariable("FLOWTOK_PLAYGROUND_SCREENSHOTS") is { } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "queued-desktop.png"), FullPage = true });

        var operatorView = await browser.SignInAsync(platform.Client.BaseAddress!, "ftk-test-playqueue-0123456789abcdef0123");
        await operatorView.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Button, new() { Name = "Operator" }).ClickAsync();
        var replica = operatorView.GetByRole(AriaRole.Row, new() { Name = "playqueue-node/sim:0" });
        await Expect(replica.GetByRole(AriaRole.Cell, new() { Name = "1 / 1", Exact = true })).ToBeVisibleAsync();
        await Expect(operatorView.GetByRole(AriaRole.Columnheader, new() { Name = "Batch (rows / max)" })).ToBeVisibleAsync();

        // Once the long job ends, the waiting one runs and finishes.
        await Expect(page.GetByText("Done: 1 image(s)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TheOrleansDashboardRendersForThisMachine()
    {
        await using var platform = await StartAsync("playdash");
        await HoldTheDeviceAsync(platform, 20);
        var page = await browser.OpenAsync(platform.Client.BaseAddress!, 1280, 800);
        var response = await page.GotoAsync("/dashboard");
        Assert.Equal(200, response!.Status);
        // The overview shows the silo once its first figures arrive.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText(new Regex("Active Silos\\s*1"))).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cluster Profiling" })).ToBeVisibleAsync();
        // Its method tables fill once the silo's profile has been sampled (each row: a method's latency per request).
        await Expect(page.GetByRole(AriaRole.Cell, new() { NameRegex = new Regex(@"\d+ms.req") }).First).ToBeVisibleAsync();
        string path = Environment.GetEnvironmentVariable("FLOWTOK_DASHBOARD_SCREENSHOT")
            ?? Path.Combine(Directory.CreateTempSubdirectory("dashboard-").FullName, "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]);
    }
}
