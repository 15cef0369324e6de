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
var root = new RootCommand("Load benchmark: FlowTok platform over HTTP versus the model replica alone in process.")
{
    clients, duration, steps, batch, model, cacheRequests, threads, simulated, simBatch, simItem,
};
root.SetAction(async (parse, cancel) =>
{
    var settings = new BenchSettings(parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(steps),
        parse.GetValue(batch), parse.GetValue(model), parse.GetValue(cacheRequests), parse.GetValue(threads), parse.GetValue(simulated),
        TimeSpan.FromMilliseconds(parse.GetValue(simBatch)), TimeSpan.FromMilliseconds(parse.GetValue(simItem)));
    await new PlatformBenchmark(settings).RunAsync(cancel);
    return 0;
});
return await root.Parse(args).InvokeAsync();
