using System.Net.Http.Json;
using System.Text.Json;

namespace FlowTok.Platform.Bench;

/// <summary>
/// Three backlogged tenants at weights 1:2:4 against a running gateway (<see cref="BenchTenants.Weighted"/>): each keeps 24
/// synchronous requests of n = 4 in flight; their device seconds over the window (GET /v1/usage, metered by the replicas of
/// every silo) are compared with 1/7, 2/7 and 4/7.
/// </summary>
internal sealed class PlatformWeightedTenants(SchedulingSettings settings, Uri target, string setup)
{
    private const int Clients = 24;
    private const int Images = 4;

    public async Task RunAsync(CancellationToken cancel)
    {
        var tenants = BenchTenants.Weighted.Select(t => (t.Id, t.Weight, Http: PlatformTwoTenants.Client(target, t.Key))).ToList();
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            long sequence = 0, refused = 0;
            var windows = tenants.Select(t => ClosedLoop.RunAsync(Clients, settings.WarmUp, settings.Duration,
                () => PlatformTwoTenants.GenerateAsync(t.Http, Images, settings.Steps, () => Interlocked.Increment(ref sequence),
                    () => Interlocked.Increment(ref refused), stop.Token), stop.Token)).ToList();
            // Usage is metered by the replicas and reported every few seconds: read it at the window's edges.
            await Task.Delay(settings.WarmUp, cancel);
            var before = await Task.WhenAll(tenants.Select(t => DeviceSecondsAsync(t.Http, cancel)));
            await Task.Delay(settings.Duration, cancel);
            var after = await Task.WhenAll(tenants.Select(t => DeviceSecondsAsync(t.Http, cancel)));
            var results = await Task.WhenAll(windows);
            var used = before.Zip(after, (b, a) => a - b).ToArray();
            double total = used.Sum();
            Console.WriteLine($"## Weights 1:2:4 on {setup} ({settings.StepLatency.TotalMilliseconds:0.##} ms + {settings.RowStepLatency.TotalMilliseconds:0.##} ms " +
                $"per row per step, max {settings.MaxRows} rows), {settings.Steps} steps: three tenants, {Clients} clients each, sync requests of n = {Images}, " +
                $"all backlogged; device seconds per tenant over {settings.Duration.TotalSeconds:0} s from GET /v1/usage; {Interlocked.Read(ref refused)} 429s waited out");
            Console.WriteLine("| tenant | weight | device s | share | target | relative error | images/s |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
            for (int i = 0; i < tenants.Count; i++)
            {
                double share = used[i] / total, goal = tenants[i].Weight / 7.0;
                Console.WriteLine($"| {tenants[i].Id} | {tenants[i].Weight} | {used[i]:F2} | {100 * share:F2}% | {100 * goal:F2}% | " +
                    $"{100 * (share - goal) / goal:+0.0;-0.0;0.0}% | {results[i].ItemsPerSecond:F2} |");
            }
            Console.WriteLine();
        }
        finally
        {
            foreach (var t in tenants) t.Http.Dispose();
        }
    }

    private static async Task<double> DeviceSecondsAsync(HttpClient http, CancellationToken cancel) =>
        (await http.GetFromJsonAsync<JsonElement>("/v1/usage", cancel)).GetProperty("device_seconds").GetDouble();
}
