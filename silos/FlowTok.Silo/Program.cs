using FlowTok.Silo.Hosting;

// flowtok-platform: one process runs it all on one machine (embedded Redis, in-memory bus, the bundled model on CPU).
// libtorch from FLOWTOK_LIBTORCH (system builds for GPU nodes) must be loaded before the first tensor.
FlowTok.Model.Nn.LibTorchRuntime.LoadConfigured();
var app = PlatformHost.CreateBuilder(args).Build();
app.MapPlatform();
await app.RunAsync();

/// <summary>Entry point type (tests start the same host in process).</summary>
public partial class Program;
