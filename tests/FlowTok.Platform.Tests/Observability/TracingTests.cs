using System.Diagnostics;
using System.Net;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace FlowTok.Platform.Tests.Observability;

/// <summary>One image generation is one trace: the gateway's HTTP span, the job grain, the bus and the replica's own spans
/// (queue wait, encode, every step, decode) and the stored result, each span a child of the one that caused it.</summary>
public sealed class TracingTests(ITestOutputHelper output)
{
    private const int Steps = 4;

    /// <param name="device">The replica's device: simulated, or the bundled model on the CPU.</param>
    [Theory]
    [InlineData("sim:0")]
    [InlineData("cpu:0")]
    public async Task AGenerationIsOneTraceFromTheHttpRequestToTheReplicasSteps(string device)
    {
        var exported = new SpanSink();
        await using var platform = await SimulatedPlatform.StartAsync("traced", [$"--Model:Devices:0={device}"],
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(exported)));

        var body = await (await platform.Client.PostJson("/v1/images/generations",
            new { prompt = "a small white circle at the top left on a black background", seed = 5, steps = Steps })).ExpectJson(HttpStatusCode.OK);
        Assert.Single(body.GetProperty("data").EnumerateArray());

        var tree = await TraceOfTheGeneration(exported, "traced");
        string rendered = tree.Render();
        output.WriteLine(rendered);
        // FLOWTOK_TRACE_EXAMPLE=<folder>: the tree is also written there (docs/observability/trace-example.txt is one).
        if (Environment.GetEnvironmentVariable("FLOWTOK_TRACE_EXAMPLE") is { Length: > 0 } folder)
            File.WriteAllText(Path.Combine(folder, $"trace-{device.Replace(':', '-')}.txt"), $"trace {tree.Spans[0].TraceId}\n{rendered}");

        // One tree: every span descends from the one root (the test's HTTP client span, parent of the gateway's server span).
        var root = Assert.Single(tree.Roots);
        var server = Assert.Single(tree.Spans, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        Assert.Equal(root.SpanId, server.ParentSpanId);
        Assert.All(tree.Spans, s => Assert.Equal(root.TraceId, s.TraceId));

        var item = Assert.Single(tree.Spans, s => s.DisplayName == "flowtok.replica.item");
        Assert.Equal("traced", item.GetTagItem("flowtok.tenant"));
        Assert.Equal(device, item.GetTagItem("flowtok.device"));
        Assert.Equal(server.GetTagItem("flowtok.job"), item.GetTagItem("flowtok.job"));
        Assert.Equal(server.GetTagItem("flowtok.model") ?? item.GetTagItem("flowtok.model"), item.GetTagItem("flowtok.model"));
        Assert.NotNull(item.GetTagItem("flowtok.model"));
        Assert.NotNull(item.GetTagItem("flowtok.model_version"));
        Assert.Equal("succeeded", item.GetTagItem("flowtok.outcome"));
        // The replica's spans hang from the item; the item from the model grain's call, the consumer, the bus, the job grain
        // and the gateway's request, in that order.
        var phases = tree.Spans.Where(s => s.ParentSpanId == item.SpanId && s.Source.Name == "FlowTok").Select(s => s.DisplayName).ToList();
        Assert.Equal(["flowtok.queue_wait", "flowtok.encode", .. Enumerable.Repeat("flowtok.step", Steps), "flowtok.decode"], phases);
        var decode = tree.Spans.Single(s => s.DisplayName == "flowtok.decode");
        Assert.Equal(["FlowTok", "Microsoft.Orleans.Application", "MassTransit", "Microsoft.Orleans.Application", "Microsoft.AspNetCore", "System.Net.Http"],
            Collapse(tree.Ancestry(decode).Select(s => s.Source.Name)));
        Assert.Contains(tree.Spans, s => s.DisplayName == "flowtok.store" && s.GetTagItem("flowtok.tenant") is "traced");
        // The device thread's progress reports to the job are calls of this trace, not traces of their own.
        Assert.Contains(tree.Spans, s => s.DisplayName == "IJobGrain/ReportProgressAsync" && s.ParentSpanId == item.SpanId);
    }

    /// <summary>The spans of the trace whose gateway request span names <paramref name="tenant"/>, once its replica item and
    /// the request itself have ended (spans are exported as they end, a little after the response).</summary>
    private static async Task<SpanTree> TraceOfTheGeneration(SpanSink exported, string tenant)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(50))
        {
            var spans = exported.Snapshot();
            var server = spans.FirstOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && tenant.Equals(s.GetTagItem("flowtok.tenant")));
            if (server is not null)
            {
                var trace = spans.Where(s => s.TraceId == server.TraceId).ToList();
                if (trace.Any(s => s.DisplayName == "flowtok.replica.item") && trace.Any(s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http"))
                    return new SpanTree(trace);
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no finished trace of tenant {tenant}'s generation among {spans.Length} exported spans");
        }
    }

    /// <summary>Runs of the same value as one: the sources along a chain of spans.</summary>
    private static List<string> Collapse(IEnumerable<string> values)
    {
        var runs = new List<string>();
        foreach (var v in values)
            if (runs.Count == 0 || runs[^1] != v) runs.Add(v);
        return runs;
    }
}
