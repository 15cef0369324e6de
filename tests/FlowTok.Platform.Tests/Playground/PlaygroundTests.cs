using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static Microsoft.Playwright.Assertions;

namespace FlowTok.Platform.Tests.Playground;

/// <summary>The web playground at / in a real browser against the one-machine platform: what a person does and sees.</summary>
[Trait("Tier", "system")] // needs chromium installed
[Collection(PlatformCollection.Name)]
public sealed class PlaygroundTests(PlatformFixture platform, PlaygroundBrowser browser) : IClassFixture<PlaygroundBrowser>
{
    [Fact]
    public async Task ThePageIsServedWithoutAKeyAndTheApiStillNeedsOne()
    {
        using var anonymous = platform.Client(null);
        var page = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("FlowTok playground", await page.Content.ReadAsStringAsync());
        Assert.Equal("text/javascript", (await anonymous.GetAsync("/playground/main.js")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/playground/missing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/playground/FlowTok.Gateway.dll")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/jobs")).StatusCode);
    }

    [Fact]
    public async Task TypingAPromptShowsAPreviewAndTheFinalImage()
    {
        var page = await browser.SignInAsync(platform.BaseAddress, PlatformFixture.KeyA);
        await page.GetByLabel("Prompt").FillAsync("a large blue circle in the center on a white background");
        await page.GetByLabel("Steps").FillAsync("4");
        await Button(page, "Generate", "Generate").ClickAsync();

        var image = page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Generated image 1") });
        await Expect(image).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("img => img.complete && img.naturalWidth > 0", await image.ElementHandleAsync());
        await Expect(page.GetByText("Done: 1 image(s)")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Download" })).ToHaveCountAsync(1);
        // The job's event stream carried previews (the page asks for them with "Live previews" on); the last one stays shown.
        var preview = page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Preview \\d of image 1") });
        await Expect(preview).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("img => img.complete && img.naturalWidth > 0", await preview.ElementHandleAsync());
    }

    [Fact]
    public async Task CaptioningAnUploadedFileShowsTheCaption()
    {
        var page = await browser.SignInAsync(platform.BaseAddress, PlatformFixture.KeyA);
        await Nav(page, "Caption").ClickAsync();
        await page.GetByLabel("Drop an image here, or choose one").SetInputFilesAsync(new FilePayload
        {
            Name = "red-square.png", MimeType = "image/png", Buffer = RedSquarePng(),
        });
        await Button(page, "Caption", "Caption").ClickAsync();
        await Expect(page.GetByText(new Regex("^Caption: \\S"))).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeHiddenAsync();
    }

    [Fact]
    public async Task CancellingARunningJobShowsItCancelled()
    {
        var page = await browser.SignInAsync(platform.BaseAddress, PlatformFixture.KeyA);
        await page.GetByLabel("Prompt").FillAsync("a small orange star at the top left on a green background");
        await page.GetByLabel("Images (n)").FillAsync("8");
        await page.GetByLabel("Steps").FillAsync("100");
        await Button(page, "Generate", "Generate").ClickAsync();
        var cancel = Button(page, "Generate", "Cancel");
        await Expect(cancel).ToBeEnabledAsync();
        await cancel.ClickAsync();
        await Expect(page.GetByText("Cancelled", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Generated image") })).ToHaveCountAsync(0);
        await Expect(Button(page, "Generate", "Generate")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task TheHistoryShowsEarlierJobsAndRunsThemAgain()
    {
        string prompt = $"a small white square at the bottom right on a red background {Guid.NewGuid():N}";
        using (var client = platform.Client(PlatformFixture.KeyB))
            await (await client.PostJson("/v1/jobs", new { type = "generation", prompt, steps = 3, seed = 7 })).ExpectJson(HttpStatusCode.Accepted);

        var page = await browser.SignInAsync(platform.BaseAddress, PlatformFixture.KeyB);
        await Nav(page, "History").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = prompt })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Run again: {prompt}" }).ClickAsync();
        await Expect(page.GetByLabel("Prompt")).ToHaveValueAsync(prompt);
        await Expect(page.GetByLabel("Seed")).ToHaveValueAsync("7");
        await Expect(page.GetByText("Done: 1 image(s)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ThePageWorksFromTheKeyboard()
    {
        var page = await browser.OpenAsync(platform.BaseAddress);
        await page.GetByLabel("API key").FocusAsync();
        await page.Keyboard.TypeAsync(PlatformFixture.KeyB);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByText("Signed in.")).ToBeVisibleAsync();

        await Nav(page, "Operator").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Operator" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Generate", Exact = true })).ToBeHiddenAsync();
        // Shift+Tab from a view's button reaches the one before it: the navigation is in tab order.
        await page.Keyboard.PressAsync("Shift+Tab");
        await Expect(Nav(page, "History")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task ABadKeyShowsAnErrorInWords()
    {
        var page = await browser.OpenAsync(platform.BaseAddress);
        await page.GetByLabel("API key").FillAsync("ftk-not-a-real-key-0000000000000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("the API key is not valid");
        await Expect(page.GetByText("Not signed in.")).ToBeVisibleAsync();
    }

    /// <summary>A view's button (the views' names are also the navigation's buttons).</summary>
    private static ILocator Button(IPage page, string view, string name) =>
        page.GetByRole(AriaRole.Region, new() { Name = view, Exact = true }).GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static ILocator Nav(IPage page, string view) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Views" }).GetByRole(AriaRole.Button, new() { Name = view, Exact = true });

    private static byte[] RedSquarePng()
    {
        using var image = new Image<Rgba32>(64, 64, new Rgba32(220, 30, 30));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}
