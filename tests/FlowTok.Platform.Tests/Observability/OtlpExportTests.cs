using System.Diagnostics;
using System.Net;
using System.Text;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>With the standard OTEL_EXPORTER_OTLP_* settings the host exports its traces, metrics and logs (log records
/// carrying the request's trace id) to that collector.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task TracesMetricsAndLogsGoToTheConfiguredCollector()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var platform = await SimulatedPlatform.StartAsync("exported",
        [
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={collector.Endpoint}", "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
            "--OTEL_BSP_SCHEDULE_DELAY=100", "--OTEL_BLRP_SCHEDULE_DELAY=100", "--OTEL_METRIC_EXPORT_INTERVAL=500",
            // ASP.NET Core's "Request starting" record is written inside the request's span.
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting=Information",
        ]);

        // The request is sent inside the test's own span, so the test knows which trace id to look for.
        var root = new Activity("test").SetIdFormat(ActivityIdFormat.W3C);
        root.ActivityTraceFlags = ActivityTraceFlags.Recorded; // sampled: the platform follows its caller's decision
        root.Start();
        var traceId = root.TraceId;
        try
        {
            await (await platform.Client.PostJson("/v1/images/generations", new { prompt = "a white square", seed = 3, steps = 2 })).ExpectJson(HttpStatusCode.OK);
        }
        finally
        {
            root.Stop();
        }

        var id = Convert.FromHexString(traceId.ToHexString());
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(100))
        {
            bool traced = collector.Bodies("traces").Any(b => Contains(b, id) && Contains(b, Encoding.UTF8.GetBytes("flowtok.replica.item")));
            bool logged = collector.Bodies("logs").Any(b => Contains(b, id));
            bool measured = collector.Bodies("metrics").Any(b => Contains(b, Encoding.UTF8.GetBytes("tenant_device_seconds_total")));
            if (traced && logged && measured) return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"after 20 s: replica spans of the trace exported {traced}, a log record of it {logged}, platform metrics {measured}");
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
