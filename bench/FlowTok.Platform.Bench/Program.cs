using System.CommandLine;
using FlowTok.Platform.Bench;

var clients = new Option<int>("--clients") { Description = "concurrent HTTP clients (and concurrent in-process callers)", DefaultValueFactory = _ => 16 };
var duration = new Option<int>("--seconds") { Description = "seconds of load per measured phase", DefaultValueFactory = _ => 30 };
var steps = new Option<int>("--steps") { Description = "sampler steps per image", DefaultValueFactory = _ => 20 };
var batch = new Option<int>("--max-batch") { Description = "Model:MaxBatchSize for both runs", DefaultValueFactory = _ => 8 };
var model = new Option<string?>("--model") { Description = "model directory (default: the bundled model)" };
var cacheRequests = new Option<int>("--cache-requests") { Description = "cache-hit requests to time", DefaultValueFactory = _ => 2000 };
var threads = new Option<int>("--intra-op-threads") { Description = "Model:IntraOpThreads for both runs (0 = libtorch default)", DefaultValueFactory = _ => 0 };
var simulated = new Option<bool>("--simulated") { Description = "use a simulated device (sim:0: Model:Simulated timing, no CPU) instead of the model, to measure the serving stack alone" };
var simBatch = new Option<int>("--sim-batch-ms") { Description = "simulated device: milliseconds per batch", DefaultValueFactory = _ => 200 };
var simItem = new Option<int>("--sim-item-ms") { Description = "simulated device: milliseconds per item in a batch", DefaultValueFactory = _ => 25 };
var target = new Option<string?>("--target") { Description = "a running gateway (e.g. http://127.0.0.1:5080): only drive HTTP load at it, nothing in process" };
var key = new Option<string?>("--key") { Description = "--target: the API key to send (Authorization: Bearer)" };
var images = new Option<int>("--images") { Description = "--target: images per request (\"n\")", DefaultValueFactory = _ => 1 };
var warmUp = new Option<int>("--warmup-seconds") { Description = "--target: seconds of load before the measured window, not measured", DefaultValueFactory = _ => 5 };
var json = new Option<string?>("--json") { Description = "--target: also write the figures to this file as JSON" };
var scheduling = new Option<bool>("--scheduling") { Description = "benchmark the replica's scheduler and step batcher on a simulated device (two tenants, weights, mixed settings, continuous vs request-level batching); uses --seconds, --warmup-seconds, --steps, --max-batch, --sim-step-ms, --sim-row-step-ms" };
var schedulingHttp = new Option<bool>("--scheduling-http") { Description = "two tenants on the whole platform over HTTP on a simulated device (the issue's setup); uses the --scheduling options. With --target: the two tenants, then (section 2) weights 1:2:4, against a running cluster started with the bench's tenants (infra/deploy/cluster-fairness.sh)" };
var tenantArguments = new Option<bool>("--cluster-tenant-arguments") { Description = "print the configuration (one argument a line) a cluster needs for --scheduling-http --target: the bench's tenants, keys and weights" };
var setup = new Option<string?>("--setup") { Description = "--scheduling-http --target: the cluster's setup, printed with its figures (devices, silos, transport)" };
var realModel = new Option<bool>("--real-model") { Description = "--scheduling-http: the bundled model on cpu:0 instead of sim:0" };
var rowsBesideLight = new Option<int>("--rows-beside-light") { Description = "--scheduling-http: Model:Scheduling:RowsBesideLightTenants, the rows a step holds while a light and a heavy tenant both have work (0 = off)", DefaultValueFactory = _ => 0 };
var simStep = new Option<double>("--sim-step-ms") { Description = "--scheduling: simulated device milliseconds per step", DefaultValueFactory = _ => 10 };
var simRowStep = new Option<double>("--sim-row-step-ms") { Description = "--scheduling: simulated device milliseconds per row per step", DefaultValueFactory = _ => 1.25 };
var sections = new Option<int[]>("--sections") { Description = "--scheduling: experiments to run (1..6, e.g. --sections 5 6); default all", AllowMultipleArgumentsPerToken = true };
var soak = new Option<int>("--soak") { Description = "storage soak: this many async jobs over HTTP on a fast simulated device, sampling Redis memory and keys, spill files and RSS (0 = off); uses --clients", DefaultValueFactory = _ => 0 };
var soakRetention = new Option<int>("--soak-retention-seconds") { Description = "--soak: retention of job state, files, caches and idempotency keys (at least 65: a job is kept JobTimeout (5 s here) + 1 min)", DefaultValueFactory = _ => 65 };
var soakSettle = new Option<int>("--soak-settle-seconds") { Description = "--soak: wait after the last job before the final sample", DefaultValueFactory = _ => 120 };
var soakMemory = new Option<string>("--soak-redis-memory") { Description = "--soak: the embedded Redis server's memory (Redis:EmbeddedMemorySize); small, so that records spill to disk within the soak", DefaultValueFactory = _ => "32m" };
var previewCount = new Option<int>("--previews") { Description = "what previews cost: one replica in process, --clients callers, without and then with this many previews per image (1..3); sim:0 (the --scheduling options; a preview costs one step), or the bundled model with --real-model", DefaultValueFactory = _ => 0 };
var soakSegment = new Option<string>("--soak-redis-segment") { Description = "--soak: the embedded Redis server's log segment (Redis:EmbeddedSegmentSize); the platform's defaults scaled down 8x with --soak-redis-memory", DefaultValueFactory = _ => "1m" };
var soakInterval = new Option<int>("--soak-redis-compaction-seconds") { Description = "--soak: how often the embedded server checks whether to compact (Redis:EmbeddedCompactionInterval, seconds)", DefaultValueFactory = _ => 30 };
var soakSegments = new Option<int>("--soak-redis-compaction-segments") { Description = "--soak: segments beyond which the embedded server compacts its log (Redis:EmbeddedCompactionSegments); the platform's 8", DefaultValueFactory = _ => 8 };
var root = new RootCommand("Load benchmark: FlowTok platform over HTTP versus the model replica alone in process; or, with --target, HTTP load at a running gateway.")
{
    clients, duration, steps, batch, model, cacheRequests, threads, simulated, simBatch, simItem, target, key, images, warmUp, json,
    scheduling, schedulingHttp, realModel, rowsBesideLight, simStep, simRowStep, sections, soak, soakRetention, soakSettle, soakMemory, soakSegment, soakSegments, soakInterval, setup, tenantArguments, previewCount,
};
target.Validators.Add(result =>
{
    var url = result.GetValueOrDefault<string?>();
    if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) result.AddError($"--target must be an http(s) URL, not '{url}'");
});
images.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() is < 1 or > 8) result.AddError("--images must be 1..8");
});
warmUp.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 0) result.AddError("--warmup-seconds must not be negative");
});
root.Validators.Add(result =>
{
    if (result.GetValue(target) is not null && !result.GetValue(schedulingHttp) && string.IsNullOrWhiteSpace(result.GetValue(key))) result.AddError("--target needs --key");
});
root.SetAction(async (parse, cancel) =>
{
    var schedulingSettings = new SchedulingSettings(TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(parse.GetValue(warmUp)),
        TimeSpan.FromMilliseconds(parse.GetValue(simStep)), TimeSpan.FromMilliseconds(parse.GetValue(simRowStep)), parse.GetValue(batch), parse.GetValue(steps))
    {
        Sections = (parse.GetValue(sections) ?? []).ToHashSet(),
        RealModel = parse.GetValue(realModel),
        RowsBesideLightTenants = parse.GetValue(rowsBesideLight),
    };
    if (parse.GetValue(soak) is > 0 and var soakJobs)
    {
        return await new StorageSoak(new SoakSettings(soakJobs, parse.GetValue(clients), Math.Max(1, soakJobs / 20),
            TimeSpan.FromSeconds(parse.GetValue(soakRetention)), TimeSpan.FromSeconds(parse.GetValue(soakSettle)), parse.GetValue(soakMemory)!,
            parse.GetValue(soakSegment)!, parse.GetValue(soakSegments), TimeSpan.FromSeconds(parse.GetValue(soakInterval)))).RunAsync(cancel) ? 0 : 1;
    }
    if (parse.GetValue(tenantArguments))
    {
        foreach (var argument in BenchTenants.ClusterArguments()) Console.WriteLine(argument);
        return 0;
    }
    if (parse.GetValue(previewCount) is > 0 and var previewsPerImage)
    {
        await new PreviewBenchmark(schedulingSettings, parse.GetValue(clients), Math.Min(previewsPerImage, 3)).RunAsync(cancel);
        return 0;
    }
    if (parse.GetValue(scheduling))
    {
        await new SchedulingBenchmark(schedulingSettings).RunAsync(cancel);
        return 0;
    }
    if (parse.GetValue(schedulingHttp))
    {
        var cluster = parse.GetValue(target) is { } gateway ? new Uri(gateway) : null;
        await new PlatformTwoTenants(schedulingSettings, cluster, parse.GetValue(setup)).RunAsync(cancel);
        return 0;
    }
    if (parse.GetValue(target) is { } url)
    {
        var load = new GatewayLoadSettings(new Uri(url), parse.GetValue(key)!, parse.GetValue(clients), parse.GetValue(images),
            TimeSpan.FromSeconds(parse.GetValue(warmUp)), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(json));
        return await new GatewayLoad(load).RunAsync(cancel);
    }
    var settings = new BenchSettings(parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(steps),
        parse.GetValue(batch), parse.GetValue(model), parse.GetValue(cacheRequests), parse.GetValue(threads), parse.GetValue(simulated),
        TimeSpan.FromMilliseconds(parse.GetValue(simBatch)), TimeSpan.FromMilliseconds(parse.GetValue(simItem)));
    await new PlatformBenchmark(settings).RunAsync(cancel);
    return 0;
});
return await root.Parse(args).InvokeAsync();
