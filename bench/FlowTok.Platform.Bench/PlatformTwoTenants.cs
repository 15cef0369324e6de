using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using FlowTok.Silo.Hosting;

namespace FlowTok.Platform.Bench;

/// <summary>
/// The setup end to end: the one-machine platform (gateway, Orleans, in-memory bus, embedded Redis) on one simulated
/// device, two tenants over loopback HTTP. Small: one client, one-image synchronous requests, first alone, then while big's
/// 48 clients keep requests of n = 8 in flight (a 429 is waited out for its Retry-After and counted); big alone first, to
/// know the capacity: big's share of what small leaves is big's rate during the flood over (big alone - small's rate).
/// With --real-model, the bundled model on cpu:0 instead of the simulated device.
/// </summary>
internal sealed class PlatformTwoTenants(SchedulingSettings settings)
{
    private const string SmallKey = "ftk-bench-small-0123456789abcdef0123";
    private const string BigKey = "ftk-bench-big-0123456789abcdef012345";

    public async Task RunAsync(CancellationToken cancel)
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0", $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}",
            $"--Model:Devices:0={Device}", $"--Model:MaxBatchSize={settings.MaxRows}",
            $"--Model:Simulated:StepLatency={settings.StepLatency}", $"--Model:Simulated:RowStepLatency={settings.RowStepLatency}",
            "--Platform:DevelopmentTenant=false",
            "--Tenants:0:Id=small", $"--Tenants:0:Key={SmallKey}", "--Tenants:0:RequestsPerMinute=1000000",
            "--Tenants:1:Id=big", $"--Tenants:1:Key={BigKey}", "--Tenants:1:RequestsPerMinute=1000000", "--Tenants:1:MaxConcurrentJobs=64",
            "--Logging:LogLevel:Default=Warning",
        ];
        var (app, address) = await PlatformHost.StartAsync(args);
        try
        {
            using var small = Client(address, SmallKey);
            using var big = Client(address, BigKey);
            for (var ready = DateTime.UtcNow.AddMinutes(1); (await small.GetAsync("/health/ready", cancel)).StatusCode != HttpStatusCode.OK; await Task.Delay(200, cancel))
                if (DateTime.UtcNow > ready) throw new TimeoutException("the platform was not ready within a minute");

            long sequence = 0, refused = 0;
            async Task<int> Generate(HttpClient client, int n)
            {
                while (!cancel.IsCancellationRequested)
                {
                    var response = await client.PostAsJsonAsync("/v1/images/generations",
                        new { prompt = $"{PlatformBenchmark.Prompts[0]} {Interlocked.Increment(ref sequence)}", n, steps = settings.Steps }, cancel);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref refused);
                        await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancel);
                        continue;
                    }
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
                    await response.Content.ReadAsByteArrayAsync(cancel);
                    return n;
                }
                return 0;
            }

            var bigAlone = await ClosedLoop.RunAsync(48, settings.WarmUp, settings.Duration, () => Generate(big, 8), cancel);
            var alone = await ClosedLoop.RunAsync(1, settings.WarmUp, settings.Duration, () => Generate(small, 1), cancel);
            var smallDuring = ClosedLoop.RunAsync(1, settings.WarmUp, settings.Duration, () => Generate(small, 1), cancel);
            var bigDuring = ClosedLoop.RunAsync(48, settings.WarmUp, settings.Duration, () => Generate(big, 8), cancel);
            var (s, b) = (await smallDuring, await bigDuring);
            string device = settings.RealModel ? "the bundled model on cpu:0" :
                $"sim:0 ({settings.StepLatency.TotalMilliseconds:0.##} ms + {settings.RowStepLatency.TotalMilliseconds:0.##} ms per row per step)";
            Console.WriteLine($"## The platform over HTTP (gateway + Orleans + in-memory bus + embedded Redis, one process) on {device}, " +
                $"max {settings.MaxRows} rows, {settings.Steps} steps: " +
                "small = 1 client, one-image sync requests; big = 48 clients, sync requests of n = 8");
            Console.WriteLine("| phase | small p50 ms | small p95 ms | small images/s | big images/s (counted in window) | big p50 s | big 429s |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
            Console.WriteLine($"| big alone | - | - | - | {bigAlone.CountedItemsPerSecond:F2} | {bigAlone.Latency.Percentile(50) / 1000:F1} | - |");
            Console.WriteLine($"| small alone | {alone.Latency.Percentile(50):F0} | {alone.Latency.Percentile(95):F0} | {alone.ItemsPerSecond:F2} | - | - | - |");
            Console.WriteLine($"| during big's flood | {s.Latency.Percentile(50):F0} | {s.Latency.Percentile(95):F0} | {s.ItemsPerSecond:F2} | {b.CountedItemsPerSecond:F2} | {b.Latency.Percentile(50) / 1000:F1} | {Interlocked.Read(ref refused)} |");
            Console.WriteLine($"small p95 flood / alone: {s.Latency.Percentile(95) / alone.Latency.Percentile(95):F2}x (target 1.5x); " +
                $"big's share of the capacity small leaves: {b.CountedItemsPerSecond / (bigAlone.CountedItemsPerSecond - s.ItemsPerSecond):P0} (target 90%)");
            Console.WriteLine();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private string Device => settings.RealModel ? "cpu:0" : "sim:0";

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
