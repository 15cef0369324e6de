using Microsoft.Playwright;

namespace FlowTok.Platform.Tests.Playground;

/// <summary>
/// Debian's chromium driven by Playwright through its executable path (no browser is ever downloaded), headless, one per
/// test class. Without chromium the tests fail with how to install it: a browser test that silently skips proves nothing.
/// </summary>
public sealed class PlaygroundBrowser : IAsyncLifetime
{
    /// <summary>Where Debian's package puts it; FLOWTOK_CHROMIUM names another.</summary>
    public const string DefaultChromium = "/usr/bin/chromium";

    /// <summary>Generous: a CPU model on a loaded 2-core machine takes a while, and the waits end as soon as the page shows it.</summary>
    public const float Timeout = 180_000;

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        string chromium = Environment.GetEnvironmentVariable("FLOWTOK_CHROMIUM") ?? DefaultChromium;
        if (!File.Exists(chromium))
            throw new InvalidOperationException(
                $"the playground's browser tests need Debian's chromium at {chromium} (`apt-get install -y chromium`, as .ci/run does; or set FLOWTOK_CHROMIUM)");
        playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true });
        Assertions.SetDefaultExpectTimeout(Timeout);
    }

    /// <summary>A fresh page (its own storage) on the playground at <paramref name="baseAddress"/>.</summary>
    public async Task<IPage> OpenAsync(Uri baseAddress, int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    }

    /// <summary>Opens the playground and signs in with <paramref name="key"/> as a person would.</summary>
    public async Task<IPage> SignInAsync(Uri baseAddress, string key, int width = 1280, int height = 800)
    {
        var page = await OpenAsync(baseAddress, width, height);
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Signed in.")).ToBeVisibleAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
    }
}
