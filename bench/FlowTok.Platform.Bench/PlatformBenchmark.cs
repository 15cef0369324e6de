using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using FlowTok.Contracts.Models;
using FlowTok.Grains.Models;
using FlowTok.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans;

namespace FlowTok.Platform.Bench;

internal sealed record BenchSettings(int Clients, TimeSpan Duration, int Steps, int MaxBatch, string? Model, int CacheRequests, int IntraOpThreads, bool Simulated,
    TimeSpan SimulatedBatch, TimeSpan SimulatedItem);

/// <summary>
/// 1. The model replica alone in process (ModelRunner, same batching settings), driven by N concurrent callers.
/// 2. The whole platform in process (gateway, Orleans, bus, embedded Redis), driven over loopback HTTP by N clients
///    with distinct requests (cache misses). 3. Cache hits: one repeated request. Prints a Markdown table.
/// </summary>
internal sealed class PlatformBenchmark(BenchSettings settings)
{
    private const string DevKey = "ftk-bench-0123456789abcdef0123456789";
    /// <summary>Prompts the runs cycle through (shapes the bundled model knows).</summary>
    internal static readonly string[] Prompts =
    [
        "a large red circle in the center on a blue background",
        "a small yellow square at the top left on a black background",
        "a medium green triangle at the bottom right on a white background",
        "a large white cross in the center on a red background",
        "a small blue star at the top right on an orange background",
        "a medium purple square at the bottom left on a green background",
    ];

    public async Task RunAsync(CancellationToken cancel)
    {
        var model = settings.Model ?? new ModelHostingOptions().ResolvePath();
        // Both phases run with the platform's libtorch threading settings (applied before libtorch loads).
        var spin = OpenMpSettings.ApplyServingDefault();
        Console.WriteLine($"GOMP_SPINCOUNT {spin ?? "libgomp default"}, OMP_WAIT_POLICY {Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}");
        Console.WriteLine($"device {Device}{(settings.Simulated ? $" ({settings.SimulatedBatch.TotalMilliseconds:0} ms + {settings.SimulatedItem.TotalMilliseconds:0} ms per item per batch)" : "")}");
        Console.WriteLine($"model {model}, {settings.Clients} clients, {settings.Duration.TotalSeconds:F0} s per phase, {settings.Steps} steps, max batch {settings.MaxBatch}, intra-op threads {(settings.IntraOpThreads == 0 ? "default" : settings.IntraOpThreads)}, {Environment.ProcessorCount} cores");

        var alone = await InProcess(model, cancel);
        Console.WriteLine($"model alone: {alone.ImagesPerSecond:F2} images/s, latency ms p50/p95/p99 {alone.Latency.Row()}, mean batch {alone.MeanBatch:F2}");

        await using var platform = await StartPlatform(model);
        var http = await OverHttp(platform, cancel);
        Console.WriteLine($"platform: {http.ImagesPerSecond:F2} images/s, latency ms p50/p95/p99 {http.Latency.Row()}, mean batch {http.MeanBatch:F2}");
        var hits = await CacheHits(platform, cancel);
        Console.WriteLine($"cache hits: latency ms p50/p95/p99 {hits.Row()}");

        Console.WriteLine();
        Console.WriteLine("| run | images/s | p50 ms | p95 ms | p99 ms | mean batch | CPU ms / image |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| model alone, in process ({settings.Clients} callers) | {alone.ImagesPerSecond:F2} | {alone.Latency.Row()} | {alone.MeanBatch:F2} | {alone.CpuMsPerImage:F0} |");
        Console.WriteLine($"| platform over HTTP ({settings.Clients} clients, cache misses) | {http.ImagesPerSecond:F2} | {http.Latency.Row()} | {http.MeanBatch:F2} | {http.CpuMsPerImage:F0} |");
        Console.WriteLine($"| platform, cache hits (1 client, {hits.Count} requests) | - | {hits.Row()} | - | - |");
        Console.WriteLine();
        Console.WriteLine($"platform / model alone throughput: {100 * http.ImagesPerSecond / alone.ImagesPerSecond:F1}%");
    }

    private sealed record Phase(double ImagesPerSecond, Latencies Latency, double MeanBatch, double CpuMsPerImage);

    private async Task<Phase> InProcess(string model, CancellationToken cancel)
    {
        var options = Options(model);
        using var runner = new ModelRunner(options, Device, _ => false, NullLogger.Instance);
        await runner.Loaded;
        // Warm-up: one full batch.
        await Task.WhenAll(Enumerable.Range(0, settings.MaxBatch).Select(i => runner.GenerateAsync("warm", i, Prompts[i % Prompts.Length], i, settings.Steps, 2, null)));
        var before = runner.Stats;
        long seed = 1_000_000;
        var result = await Drive(async () =>
        {
            long s = Interlocked.Increment(ref seed);
            await runner.GenerateAsync("bench", 0, Prompts[s % Prompts.Length], s, settings.Steps, 2, null);
            return 1;
        }, cancel);
        var after = runner.Stats;
        // Mean rows per step (step-level batching: a forward's batch is the rows it held).
        return result with { MeanBatch = (double)(after.RowSteps - before.RowSteps) / Math.Max(1, after.Steps - before.Steps) };
    }

    private ModelHostingOptions Options(string model) => new()
    {
        Path = model,
        MaxBatchSize = settings.MaxBatch,
        MaxQueueDelay = TimeSpan.FromMilliseconds(10),
        MaxQueueLength = 4096,
        IntraOpThreads = settings.IntraOpThreads,
        Devices = [Device],
        Simulated = new SimulatedDeviceOptions { BatchLatency = settings.SimulatedBatch, ItemLatency = settings.SimulatedItem },
    };

    private string Device => settings.Simulated ? "sim:0" : "cpu:0";

    private async Task<RunningPlatform> StartPlatform(string model)
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}",
            $"--Model:Path={model}", $"--Model:MaxBatchSize={settings.MaxBatch}", $"--Model:IntraOpThreads={settings.IntraOpThreads}", $"--Model:Devices:0={Device}",
            $"--Model:Simulated:BatchLatency={settings.SimulatedBatch}", $"--Model:Simulated:ItemLatency={settings.SimulatedItem}", "--Model:MaxQueueDelay=00:00:00.010",
            $"--Platform:DevelopmentKey={DevKey}", "--Platform:DevelopmentRequestsPerMinute=10000000",
            "--Logging:LogLevel:Default=Warning",
        ];
        var (app, address) = await PlatformHost.StartAsync(args);
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevKey);
        for (var deadline = DateTime.UtcNow.AddMinutes(2); (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK;)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("platform not ready after 2 minutes");
            await Task.Delay(200);
        }
        return new RunningPlatform(app, client);
    }

    private async Task<Phase> OverHttp(RunningPlatform platform, CancellationToken cancel)
    {
        // Warm-up: one round of distinct requests through every layer.
        await Task.WhenAll(Enumerable.Range(0, settings.MaxBatch).Select(i => Generate(platform.Client, Prompts[i % Prompts.Length], 500_000 + i)));
        var before = await ModelStats(platform);
        long seed = 2_000_000;
        var result = await Drive(async () =>
        {
            long s = Interlocked.Increment(ref seed);
            await Generate(platform.Client, Prompts[s % Prompts.Length], s);
            return 1;
        }, cancel);
        var after = await ModelStats(platform);
        return result with { MeanBatch = after.MeanBatchSize };
    }

    private async Task<Latencies> CacheHits(RunningPlatform platform, CancellationToken cancel)
    {
        await Generate(platform.Client, Prompts[0], 42); // fills the cache
        var latencies = new Latencies();
        for (int i = 0; i < settings.CacheRequests && !cancel.IsCancellationRequested; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var response = await Generate(platform.Client, Prompts[0], 42);
            latencies.Add(Stopwatch.GetElapsedTime(start));
            if (i == 0 && !(response.Headers.TryGetValues("X-Cache", out var v) && v.Contains("hit")))
                throw new InvalidOperationException("the repeated request was not a cache hit");
        }
        return latencies;
    }

    private async Task<HttpResponseMessage> Generate(HttpClient client, string prompt, long seed)
    {
        var response = await client.PostAsJsonAsync("/v1/images/generations", new { prompt, seed, steps = settings.Steps });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"generation failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
        return response;
    }

    /// <summary>N workers call <paramref name="call"/> back to back for the phase's duration (<see cref="ClosedLoop"/>).</summary>
    private async Task<Phase> Drive(Func<Task<int>> call, CancellationToken cancel)
    {
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        int gen2Before = GC.CollectionCount(2);
        var window = await ClosedLoop.RunAsync(settings.Clients, TimeSpan.Zero, settings.Duration, call, cancel);
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"  GC: {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:F0} ms paused, {GC.CollectionCount(2) - gen2Before} gen-2 collections");
        return new Phase(window.ItemsPerSecond, window.Latency, 0, cpu.TotalMilliseconds / Math.Max(1, window.AllItems));
    }

    private static async Task<ModelStats> ModelStats(RunningPlatform platform)
    {
        var services = platform.App.Services;
        var key = services.GetRequiredService<LocalModels>().Keys[0];
        return await services.GetRequiredService<IGrainFactory>().GetGrain<IModelGrain>(key).GetStatsAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record RunningPlatform(WebApplication App, HttpClient Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
