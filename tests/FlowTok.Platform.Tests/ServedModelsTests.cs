using System.Net;
using FlowTok.Contracts.Models;
using FlowTok.Gateway;
using FlowTok.Gateway.Tests;
using FlowTok.Model.Loading;
using FlowTok.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace FlowTok.Platform.Tests;

/// <summary>
/// Two models served side by side (Model:Served) by the one-machine platform over loopback HTTP: the bundled model on
/// cpu:0 (the first, so the default) and a copy of its directory made here, served under the id "shapes-b" on cpu:1.
/// </summary>
public sealed class ServedModelsTests(ServedModelsTests.TwoModels platform) : IClassFixture<ServedModelsTests.TwoModels>
{
    private const string Default = "flowtok-shapes", Second = "shapes-b";

    [Fact]
    public async Task BothModelsAreListedTheDefaultFirst()
    {
        var list = await (await platform.Client.GetAsync("/v1/models")).ExpectJson(HttpStatusCode.OK);
        var models = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([Default, Second], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m => Assert.Equal(["text-to-image", "image-to-text"], m.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString())));

        var second = await (await platform.Client.GetAsync($"/v1/models/{Second}")).ExpectJson(HttpStatusCode.OK);
        Assert.Equal(Second, second.GetProperty("id").GetString());
        // Same weights, its own version: the two never share cached outputs or prompt encodings.
        var version = second.GetProperty("version").GetString()!;
        Assert.StartsWith($"{Second}:", version);
        Assert.NotEqual(models[0].GetProperty("version").GetString(), version);
    }

    [Fact]
    public async Task AGenerationIsRunOnlyByTheReplicaOfTheModelItNames()
    {
        // The same request to each model: the named model's replica runs it (no output cached for the other is reused),
        // the other does not; one naming no model (another seed: not the default's cached output) goes to the default.
        foreach (var (model, device, seed) in new[] { (Second, "cpu:1", 5), (Default, "cpu:0", 5), ((string?)null, "cpu:0", 6) })
        {
            var before = await platform.ItemsByDeviceAsync();
            var response = await platform.Client.PostJson("/v1/images/generations", model is null
                ? new { prompt = "a blue square", steps = 2, seed }
                : (object)new { prompt = "a blue square", steps = 2, seed, model });
            await response.ExpectJson(HttpStatusCode.OK);
            var job = await (await platform.Client.GetAsync($"/v1/jobs/{response.Headers.GetValues(GatewayHeaders.JobId).Single()}")).ExpectJson(HttpStatusCode.OK);
            Assert.Equal(model ?? Default, job.GetProperty("model").GetString());

            var after = await platform.ItemsByDeviceAsync();
            Assert.Equal(before[device] + 1, after[device]);
            Assert.All(after.Where(d => d.Key != device), d => Assert.Equal(before[d.Key], d.Value));
        }
    }

    [Fact]
    public async Task AnAsyncJobNamingTheSecondModelIsRunByIt()
    {
        var before = await platform.ItemsByDeviceAsync();
        var created = await (await platform.Client.PostJson("/v1/jobs", new { type = "generation", prompt = "a green circle", steps = 2, seed = 9, n = 2, model = Second }))
            .ExpectJson(HttpStatusCode.Accepted);
        Assert.Equal(Second, created.GetProperty("model").GetString());
        var job = await JobTests.WaitForEnd(platform.Client, created.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(Second, job.GetProperty("model").GetString());
        var after = await platform.ItemsByDeviceAsync();
        Assert.Equal(before["cpu:1"] + 2, after["cpu:1"]);
        Assert.Equal(before["cpu:0"], after["cpu:0"]);
    }

    [Fact]
    public async Task AChatCaptionNamingAModelIsRunByThatModelsReplica()
    {
        string image = $"data:image/png;base64,{Convert.ToBase64String(HostileImages.Gradient(16, 16))}";
        foreach (var (model, device) in new[] { (Second, "cpu:1"), (Default, "cpu:0") })
        {
            var before = await platform.ItemsByDeviceAsync();
            var chat = await (await platform.Client.PostJson("/v1/chat/completions", new
            {
                model,
                messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = image } } } } },
                steps = 2,
            })).ExpectJson(HttpStatusCode.OK);
            Assert.Equal(model, chat.GetProperty("model").GetString());
            var after = await platform.ItemsByDeviceAsync();
            Assert.Equal(before[device] + 1, after[device]);
            Assert.All(after.Where(d => d.Key != device), d => Assert.Equal(before[d.Key], d.Value));
        }
    }

    [Fact]
    public async Task ACaptionUploadOrCaptionJobNamingAModelIsRunByThatModelsReplica()
    {
        var png = HostileImages.Gradient(16, 16);
        foreach (var (model, device) in new[] { (Second, "cpu:1"), (Default, "cpu:0") })
        {
            var before = await platform.ItemsByDeviceAsync();
            using var form = new MultipartFormDataContent
            {
                { new ByteArrayContent(png) { Headers = { ContentType = new("image/png") } }, "image", "g.png" },
                { new StringContent("2"), "steps" },
                { new StringContent(model), "model" },
            };
            await (await platform.Client.PostAsync("/v1/images/captions", form)).ExpectJson(HttpStatusCode.OK);
            var job = await (await platform.Client.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(png), steps = 2, model }))
                .ExpectJson(HttpStatusCode.Accepted);
            for (var end = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(100))
            {
                var status = (await (await platform.Client.GetAsync($"/v1/jobs/{job.GetProperty("id").GetString()}")).ExpectJson(HttpStatusCode.OK))
                    .GetProperty("status").GetString();
                if (status == "succeeded") break;
                Assert.True(DateTime.UtcNow < end && status is "queued" or "running", $"the caption job is {status}");
            }
            var after = await platform.ItemsByDeviceAsync();
            Assert.Equal(before[device] + 2, after[device]);
            Assert.All(after.Where(d => d.Key != device), d => Assert.Equal(before[d.Key], d.Value));
        }
    }

    [Fact]
    public async Task AModelNotServedIsNotFound()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(HostileImages.Gradient(16, 16)) { Headers = { ContentType = new("image/png") } }, "image", "g.png" },
            { new StringContent("shapes-c"), "model" },
        };
        foreach (var response in new[]
        {
            await platform.Client.GetAsync("/v1/models/shapes-c"),
            await platform.Client.PostJson("/v1/images/generations", new { prompt = "a red circle", steps = 2, model = "shapes-c" }),
            await platform.Client.PostAsync("/v1/images/captions", form),
            await platform.Client.PostJson("/v1/jobs", new { type = "caption", image = Convert.ToBase64String(HostileImages.Gradient(16, 16)), model = "shapes-c" }),
        })
            Assert.Equal("model_not_found", (await response.ExpectJson(HttpStatusCode.NotFound)).GetProperty("error").GetProperty("code").GetString());
    }

    /// <summary>The platform with two models, started once for these tests.</summary>
    public sealed class TwoModels : IAsyncLifetime
    {
        private const string Key = "ftk-test-two-models-0123456789abcdef";
        private const string Silo = "two-models-node";
        private readonly string copy = Path.Combine(Path.GetTempPath(), $"flowtok-served-{Guid.NewGuid():N}");
        private WebApplication? app;

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var bundled = ModelSearch.FindAbove(ModelSearch.DefaultRelative, ModelSearch.DefaultStarts())
                ?? throw new InvalidOperationException("the bundled model models/default was not found");
            CopyDirectory(bundled, copy);
            (app, var address) = await PlatformHost.StartAsync(
            [
                "--urls=http://127.0.0.1:0",
                $"--Cluster:SiloPort={PlatformFixture.FreePort()}", $"--Cluster:GatewayPort={PlatformFixture.FreePort()}",
                $"--Cluster:SiloName={Silo}",
                "--Model:Served:0:Path=models/default", "--Model:Served:0:Devices:0=cpu:0",
                $"--Model:Served:1:Path={copy}", $"--Model:Served:1:Id={Second}", "--Model:Served:1:Devices:0=cpu:1",
                "--Model:IntraOpThreads=1",
                "--Platform:DevelopmentTenant=false",
                "--Tenants:0:Id=two-models", $"--Tenants:0:Key={Key}", "--Tenants:0:RequestsPerMinute=100000",
                "--Logging:LogLevel:Default=Warning",
            ]);
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(3) };
            Client.DefaultRequestHeaders.Authorization = new("Bearer", Key);
            // Ready once both models are announced (each replica loads its own directory).
            for (var until = DateTime.UtcNow.AddMinutes(2); ; await Task.Delay(200))
            {
                var response = await Client.GetAsync("/v1/models");
                if (response.StatusCode == HttpStatusCode.OK && (await response.Json()).GetProperty("data").GetArrayLength() == 2) break;
                if (DateTime.UtcNow > until) throw new TimeoutException("the two models were not announced within 2 minutes");
            }
        }

        /// <summary>Items each replica (by device) has run.</summary>
        public async Task<Dictionary<string, long>> ItemsByDeviceAsync()
        {
            var grains = app!.Services.GetRequiredService<IGrainFactory>();
            var items = new Dictionary<string, long>();
            foreach (var device in new[] { "cpu:0", "cpu:1" })
                items[device] = (await grains.GetGrain<IModelGrain>(ModelGrainKey.For(Silo, device)).GetStatsAsync()).Items;
            return items;
        }

        private static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            foreach (var folder in Directory.GetDirectories(from)) CopyDirectory(folder, Path.Combine(to, Path.GetFileName(folder)));
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        }
    }
}
