using System.Net;
using System.Net.Http.Headers;
using FlowTok.Gateway.Hosting;
using FlowTok.Silo.Hosting;

namespace FlowTok.Platform.Tests;

/// <summary>Tenants' keys through the admin API (Gateway:AdminKey), and the keys a platform refuses to start with.</summary>
public sealed class KeyManagementTests
{
    private const string AdminKey = "ftk-admin-test-0123456789abcdef0123";

    [Fact]
    public async Task AnOperatorCreatesRotatesAndRevokesATenantsKeys()
    {
        await using var platform = await SimulatedPlatform.StartAsync("keys", [$"--Gateway:AdminKey={AdminKey}"]);
        using var admin = platform.ClientOf(AdminKey);

        var created = await (await admin.PostJson("/admin/tenants/acme/keys", new { name = "Acme", requests_per_minute = 120 })).ExpectJson(HttpStatusCode.Created);
        string first = created.GetProperty("key").GetString()!, firstId = created.GetProperty("id").GetString()!;
        using var acme = platform.ClientOf(first);
        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/v1/usage")).StatusCode); // remembered by the gateway now
        var listed = await (await admin.GetAsync("/admin/tenants/acme/keys")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal([firstId], listed.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("id").GetString()));
        Assert.DoesNotContain(first, listed.ToString());

        var rotated = await (await admin.PostAsync($"/admin/tenants/acme/keys/{firstId}/rotate", null)).ExpectJson(HttpStatusCode.Created);
        using var rotatedClient = platform.ClientOf(rotated.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await acme.GetAsync("/v1/usage")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rotatedClient.GetAsync("/v1/usage")).StatusCode);

        var secondId = rotated.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/tenants/acme/keys/{secondId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rotatedClient.GetAsync("/v1/usage")).StatusCode);
        await (await admin.DeleteAsync($"/admin/tenants/acme/keys/{secondId}")).ExpectJson(HttpStatusCode.NotFound);
        var none = await (await admin.GetAsync("/admin/tenants/acme/keys")).ExpectJson(HttpStatusCode.OK);
        Assert.Empty(none.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task TheAdminApiTakesOnlyTheAdminKeyAndIsOffWithoutOne()
    {
        await using (var platform = await SimulatedPlatform.StartAsync("nokeyadmin", []))
        {
            await (await platform.ClientOf(AdminKey).GetAsync("/admin/tenants/nokeyadmin/keys")).ExpectJson(HttpStatusCode.Forbidden);
        }
        await using (var platform = await SimulatedPlatform.StartAsync("withadmin", [$"--Gateway:AdminKey={AdminKey}"]))
        {
            var asTenant = await platform.Client.GetAsync("/admin/tenants/withadmin/keys");
            await asTenant.ExpectJson(HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", asTenant.Headers.WwwAuthenticate.ToString());
            using var admin = platform.ClientOf(AdminKey);
            await (await admin.GetAsync("/admin/tenants/withadmin/keys")).ExpectJson(HttpStatusCode.OK);
            await (await admin.GetAsync("/admin/tenants/nobody/keys")).ExpectJson(HttpStatusCode.NotFound);
            await (await admin.PostJson("/admin/tenants/a:b/keys", new { })).ExpectJson(HttpStatusCode.BadRequest);
            await (await admin.PostJson("/admin/tenants/acme/keys", new { requests_per_minute = 0 })).ExpectJson(HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [InlineData("--Tenants:0:Key=changeme", "Tenants:0:Key")]
    [InlineData("--Tenants:0:Key=<your-key>", "Tenants:0:Key")]
    [InlineData("--Tenants:0:Key=short-but-random-8f3a", "at least 32 characters")]
    [InlineData("--Platform:DevelopmentKey=abc", "Platform:DevelopmentKey")]
    [InlineData("--Gateway:AdminKey=changeme-changeme-changeme-changeme", "Gateway:AdminKey")]
    [InlineData("--Gateway:AdminKey=too-short", "Gateway:AdminKey")]
    public async Task PlaceholderOrShortConfiguredKeysStopTheStart(string setting, string message)
    {
        var failure = await Record.ExceptionAsync(async () =>
        {
            var (app, _) = await PlatformHost.StartAsync(
            [
                "--urls=http://127.0.0.1:0", $"--Cluster:SiloPort={PlatformFixture.FreePort()}", $"--Cluster:GatewayPort={PlatformFixture.FreePort()}",
                "--Model:Devices:0=sim:0", "--Tenants:0:Id=t", "--Tenants:0:Key=ftk-a-good-key-0123456789abcdef0123", "--Logging:LogLevel:Default=None", setting,
            ]);
            await app.StopAsync();
            await app.DisposeAsync();
        });
        Assert.NotNull(failure);
        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public async Task ADevelopmentKeyIsRefusedOutsideTheOneMachineDefault()
    {
        var failure = await Record.ExceptionAsync(() => PlatformHost.StartAsync(
            ["--Cluster:Role", "Gateway", "--Redis:ConnectionString", "127.0.0.1:1", "--Platform:DevelopmentKey", AdminKey, "--urls", "http://127.0.0.1:0"]));
        Assert.Contains("Platform:DevelopmentKey", Assert.IsType<InvalidOperationException>(failure).Message);
    }

    [Theory]
    [InlineData(PlatformRole.All, null, true)]
    [InlineData(PlatformRole.All, "127.0.0.1:6379", false)]
    [InlineData(PlatformRole.Gateway, "127.0.0.1:6379", false)]
    [InlineData(PlatformRole.Silo, "127.0.0.1:6379", false)]
    [InlineData(PlatformRole.Silo, null, false)]
    public void TheDevelopmentTenantExistsOnlyInTheOneMachineDefault(PlatformRole role, string? redis, bool expected) =>
        Assert.Equal(expected, new TenantSeedOptions().HasDevelopmentTenant(role, redis));
}
