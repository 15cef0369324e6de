using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlowTok.Platform.Tests.Playground;

/// <summary>
/// Each view of the playground, as a person sees it after using it, at desktop (1280x800) and phone (390x844) width, saved
/// as PNGs: in FLOWTOK_PLAYGROUND_SCREENSHOTS when set (docs/playground/ holds the committed ones), else a temporary folder.
/// </summary>
[Trait("Tier", "system")] // needs chromium installed
[Collection(PlatformCollection.Name)]
public sealed class PlaygroundScreenshots(PlatformFixture platform, PlaygroundBrowser browser) : IClassFixture<PlaygroundBrowser>
{
    [Theory]
    [InlineData("desktop", 1280, 800)]
    [InlineData("phone", 390, 844)]
    public async Task EveryViewIsCapturedAtDesktopAndPhoneWidth(string device, int width, int height)
    {
        string folder = Environment.GetEnvironmentVariable("FLOWTOK_PLAYGROUND_SCREENSHOTS") ?? Directory.CreateTempSubdirectory("playground-").FullName;
        Directory.CreateDirectory(folder);
        var page = await browser.SignInAsync(platform.BaseAddress, PlatformFixture.KeyB, width, height);
        var saved = new List<string>();
        async Task Save(string view)
        {
            string path = Path.Combine(folder, $"{view}-{device}.png");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            saved.Add(path);
        }

        await page.GetByLabel("Prompt").FillAsync("a large red circle in the center on a blue background");
        await page.GetByLabel("Images (n)").FillAsync("2");
        await page.GetByLabel("Steps").FillAsync("8");
        await page.GetByRole(AriaRole.Region, new() { Name = "Generate", Exact = true }).GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Done: 2 image(s)")).ToBeVisibleAsync();
        await Save("generate");

        await page.GetByRole(AriaRole.Button, new() { Name = "Caption this" }).First.ClickAsync();
        await Expect(page.GetByText(new Regex("^Caption: \\S"))).ToBeVisibleAsync();
        await Save("caption");

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Button, new() { Name = "History" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run again: a large red circle in the center on a blue background" }).First).ToBeVisibleAsync();
        await Save("history");

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Button, new() { Name = "Operator" }).ClickAsync();
        await Expect(page.GetByText("tenant-b", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { NameRegex = new Regex("^test-node") }).First).ToBeVisibleAsync(); // a replica's queue
        await Expect(page.GetByText(new Regex("^Mean batch size: \\d"))).ToBeVisibleAsync();
        await Expect(page.GetByText("tenant-a")).ToHaveCountAsync(0); // the usage shown is the caller's own
        await Save("operator");

        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G'];
        foreach (var path in saved) Assert.Equal(signature, File.ReadAllBytes(path)[..4]);
    }
}
