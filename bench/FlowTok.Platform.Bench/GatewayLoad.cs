using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlowTok.Platform.Bench;

internal sealed record GatewayLoadSettings(Uri Target, string Key, int Clients, int ImagesPerRequest, TimeSpan WarmUp, TimeSpan Duration, string? JsonPath);

/// <summary>
/// What <c>--json</c> writes: the measured window's figures (rates and latencies of the successful requests; rates as
/// <see cref="ClosedLoop"/> takes them, CountedImagesPerSecond the plain count over the window).
/// </summary>
internal sealed record GatewayLoadReport(
    string Target, int Clients, int ImagesPerRequest, double WarmUpSeconds, double Seconds,
    long Images, long Requests, double ImagesPerSecond, double RequestsPerSecond, double CountedImagesPerSecond,
    double LatencyP50Ms, double LatencyP95Ms, double LatencyP99Ms,
    long Errors, long WarmUpErrors, string? FirstError);

/// <summary>
/// HTTP load only, at a gateway that is already running (a cluster): N closed-loop clients POST
/// /v1/images/generations, each request with a prompt of its own so the output cache never answers, through a warm-up
/// (not measured) and the measured window. Every answer but 200, and every request that got none, is an error.
/// </summary>
internal sealed class GatewayLoad(GatewayLoadSettings settings)
{
    private static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // no latencies: NaN
    };

    private string? firstError;

    /// <summary>Returns the exit code: 0 when every request of the measured window answered 200.</summary>
    public async Task<int> RunAsync(CancellationToken cancel)
    {
        Console.WriteLine($"target {settings.Target}, {settings.Clients} clients, {settings.ImagesPerRequest} image(s) per request, " +
            $"{settings.WarmUp.TotalSeconds:0} s warm-up, {settings.Duration.TotalSeconds:0} s measured, {Environment.ProcessorCount} cores");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients })
        {
            BaseAddress = settings.Target,
            Timeout = TimeSpan.FromMinutes(5),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Key);

        // A run id keeps prompts distinct from those of earlier runs against the same cluster too.
        string run = Guid.NewGuid().ToString("N")[..8];
        long sequence = 0;
        var window = await ClosedLoop.RunAsync(settings.Clients, settings.WarmUp, settings.Duration, () =>
        {
            long n = Interlocked.Increment(ref sequence);
            return Generate(http, $"{PlatformBenchmark.Prompts[n % PlatformBenchmark.Prompts.Length]}, take {run} {n}", cancel);
        }, cancel);

        var report = new GatewayLoadReport(settings.Target.ToString(), settings.Clients, settings.ImagesPerRequest,
            settings.WarmUp.TotalSeconds, window.Elapsed.TotalSeconds, window.Items, window.Calls, window.ItemsPerSecond, window.CallsPerSecond, window.CountedItemsPerSecond,
            window.Latency.Percentile(50), window.Latency.Percentile(95), window.Latency.Percentile(99),
            window.Failures, window.WarmUpFailures, firstError);
        Console.WriteLine();
        Console.WriteLine("| images/s | requests/s | p50 ms | p95 ms | p99 ms | errors |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        Console.WriteLine($"| {report.ImagesPerSecond:F2} | {report.RequestsPerSecond:F2} | {window.Latency.Row()} | {report.Errors} |");
        Console.WriteLine();
        Console.WriteLine($"{report.Images} images in {report.Requests} requests ended in the {report.Seconds:F1} s window ({report.CountedImagesPerSecond:F2} images/s counted); " +
            $"errors (non-200 answers or none) in the warm-up: {report.WarmUpErrors}");
        if (firstError is not null) Console.WriteLine($"first error: {firstError}");
        if (settings.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, ReportJson), CancellationToken.None);
            Console.WriteLine($"figures written to {path}");
        }
        return report.Errors == 0 ? 0 : 1;
    }

    /// <summary>One request; returns the images it produced, 0 when it failed (the first failure is kept).</summary>
    private async Task<int> Generate(HttpClient http, string prompt, CancellationToken cancel)
    {
        try
        {
            using var response = await http.PostAsJsonAsync("/v1/images/generations", new { prompt, n = settings.ImagesPerRequest }, cancel);
            var body = await response.Content.ReadAsByteArrayAsync(cancel);
            if (response.StatusCode == HttpStatusCode.OK) return settings.ImagesPerRequest;
            Interlocked.CompareExchange(ref firstError, $"{(int)response.StatusCode} {Encoding.UTF8.GetString(body)}", null);
        }
        catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && !cancel.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref firstError, $"{e.GetType().Name}: {e.Message}", null);
        }
        return 0;
    }
}
