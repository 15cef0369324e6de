using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using FlowTok.Silo.Hosting;

namespace FlowTok.Platform.Bench;

/// <summary>
/// The issue's setup end to end: the one-machine platform (gateway, Orleans, in-memory bus, embedded Redis) on one simulated
/// device, two tenants over loopback HTTP. Small: one client, one-image synchronous requests, first alone, then while big's
/// 48 clients keep requests of n = 8 in flight (a 429 is waited out for its Retry-After and counted); with --real-model on
/// the bundled model on cpu:0. With a target (a
/// running cluster's gateway whose tenants are <see cref="BenchTenants"/>, see infra/deploy/cluster-fairness.sh) the same
/// two tenants and then three backlogged tenants at weights 1:2:4 (<see cref="PlatformWeightedTenants"/>) run against it.
/// </summary>
internal sealed class PlatformTwoTenants(SchedulingSettings settings, Uri? target = null, string? setup = null)
{
    private const string SmallKey = BenchTenants.SmallKey;
    private const string BigKey = BenchTenants.BigKey;

    /// <summary>--real-model: the bundled model on the CPU instead of the simulated device.</summary>
    private string Device => settings.RealModel ? "cpu:0" : "sim:0";

    public async Task RunAsync(CancellationToken cancel)
    {
        if (target is not null)
        {
            await MeasureAsync(target, setup ?? $"the cluster behind {target}", cancel);
            if (settings.Runs(2)) await new PlatformWeightedTenants(settings, target, setup ?? $"the cluster behind {target}").RunAsync(cancel);
            return;
        }
        string[] args =
        [
            "--urls=http://127.0.0.1:0", $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}",
            $"--Model:Devices:0={Device}", $"--Model:MaxBatchSize={settings.MaxRows}",
            $"--Model:Simulated:StepLatency={settings.StepLatency}", $"--Model:Simulated:RowStepLatency={settings.RowStepLatency}",
            "--Platform:DevelopmentTenant=false",
            "--Tenants:0:Id=small", $"--Tenants:0:Key={SmallKey}", "--Tenants:0:RequestsPerMinute=1000000",
            "--Tenants:1:Id=big", $"--Tenants:1:Key={BigKey}", "--Tenants:1:RequestsPerMinute=1000000", "--Tenants:1:MaxConcurrentJobs=64",
            "--Logging:LogLevel:Default=Warning",
            // Big's 48 requests of n = 8 queue ~400 images: on the CPU (~3 images/s) longer than the default 120 s.
            $"--Gateway:SyncTimeout={(settings.RealModel ? "00:10:00" : "00:02:00")}",
            $"--Model:Scheduling:RowsBesideLightTenants={settings.RowsBesideLightTenants}",
        ];
        var (app, address) = await PlatformHost.StartAsync(args);
        try
        {
            await MeasureAsync(address, $"The platform over HTTP (gateway + Orleans + in-memory bus + embedded Redis, one process) on {(settings.RealModel ? "the bundled model on cpu:0" : "sim:0")}", cancel);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task MeasureAsync(Uri address, string setup, CancellationToken cancel)
    {
        using var small = Client(address, SmallKey);
        using var big = Client(address, BigKey);
        for (var ready = DateTime.UtcNow.AddMinutes(1); (await small.GetAsync("/health/ready", cancel)).StatusCode != HttpStatusCode.OK; await Task.Delay(200, cancel))
            if (DateTime.UtcNow > ready) throw new TimeoutException("the platform was not ready within a minute");

        long sequence = 0, refused = 0;
        Task<int> Generate(HttpClient client, int n) =>
            GenerateAsync(client, n, settings.Steps, () => Interlocked.Increment(ref sequence), () => Interlocked.Increment(ref refused), cancel);

        var alone = await ClosedLoop.RunAsync(1, settings.WarmUp, settings.Duration, () => Generate(small, 1), cancel);
        var capacity = await ClosedLoop.RunAsync(48, settings.WarmUp, settings.Duration, () => Generate(big, 8), cancel);
        Interlocked.Exchange(ref refused, 0);
        var smallDuring = ClosedLoop.RunAsync(1, settings.WarmUp, settings.Duration, () => Generate(small, 1), cancel);
        var bigDuring = ClosedLoop.RunAsync(48, settings.WarmUp, settings.Duration, () => Generate(big, 8), cancel);
        var (s, b) = (await smallDuring, await bigDuring);
        double left = capacity.ItemsPerSecond - s.ItemsPerSecond;
        string cap = settings.RowsBesideLightTenants > 0 ? $", at most {settings.RowsBesideLightTenants} rows beside a light tenant" : "";
        string device = settings.RealModel ? $"(max {settings.MaxRows} rows{cap})"
            : $"({settings.StepLatency.TotalMilliseconds:0.##} ms + {settings.RowStepLatency.TotalMilliseconds:0.##} ms per row per step, max {settings.MaxRows} rows{cap})";
        Console.WriteLine($"## {setup} {device}, {settings.Steps} steps: " +
            "small = 1 client, one-image sync requests; big = 48 clients, sync requests of n = 8");
        Console.WriteLine("| phase | small p50 ms | small p95 ms | small images/s | big images/s | big p50 s | big 429s |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| small alone | {alone.Latency.Percentile(50):F0} | {alone.Latency.Percentile(95):F0} | {alone.ItemsPerSecond:F2} | - | - | - |");
        Console.WriteLine($"| big alone (capacity) | - | - | - | {capacity.ItemsPerSecond:F2} | {capacity.Latency.Percentile(50) / 1000:F1} | - |");
        Console.WriteLine($"| during big's flood | {s.Latency.Percentile(50):F0} | {s.Latency.Percentile(95):F0} | {s.ItemsPerSecond:F2} | {b.ItemsPerSecond:F2} | {b.Latency.Percentile(50) / 1000:F1} | {Interlocked.Read(ref refused)} |");
        Console.WriteLine($"small p95 flood / alone: {s.Latency.Percentile(95) / alone.Latency.Percentile(95):F2}x; " +
            $"big / capacity left (capacity {capacity.ItemsPerSecond:F2} - small {s.ItemsPerSecond:F2} = {left:F2} images/s): {100 * b.ItemsPerSecond / left:F1}%");
        Console.WriteLine();
    }

    /// <summary>One synchronous generation of <paramref name="n"/> images; a 429 is waited out for its Retry-After (counted
    /// by <paramref name="refused"/>). Returns the images made, 0 when cancelled.</summary>
    internal static async Task<int> GenerateAsync(HttpClient client, int n, int steps, Func<long> sequence, Action refused, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            using var response = await client.PostAsJsonAsync("/v1/images/generations",
                new { prompt = $"{PlatformBenchmark.Prompts[0]} {sequence()}", n, steps }, cancel);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused();
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancel);
                continue;
            }
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
            await response.Content.ReadAsByteArrayAsync(cancel);
            return n;
        }
        return 0;
    }

    internal static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
